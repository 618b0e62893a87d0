SET lock_timeout = '5s';
ALTER TABLE profiles ALTER COLUMN bio SET STATISTICS 500;
