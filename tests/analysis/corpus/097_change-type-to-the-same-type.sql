SET lock_timeout = '5s';
ALTER TABLE profiles ALTER COLUMN motto TYPE varchar(5);
