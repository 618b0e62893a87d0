SET lock_timeout = '5s';
UPDATE profiles SET bio = '' WHERE bio IS NOT NULL;
