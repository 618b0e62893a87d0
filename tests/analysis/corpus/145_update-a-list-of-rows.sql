SET lock_timeout = '5s';
UPDATE profiles SET bio = '' WHERE id IN (1, 2, 3);
