SET lock_timeout = '5s';
UPDATE profiles SET bio = '' WHERE id BETWEEN 1 AND 1000;
