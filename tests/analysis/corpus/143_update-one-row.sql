SET lock_timeout = '5s';
UPDATE profiles SET bio = '' WHERE id = 1 RETURNING id;
