SET lock_timeout = '5s';
ALTER TABLE profiles ALTER COLUMN handle TYPE varchar;
