SET lock_timeout = '5s';
ALTER TABLE profiles DROP COLUMN motto;
