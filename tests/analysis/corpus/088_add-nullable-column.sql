SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN nickname text;
