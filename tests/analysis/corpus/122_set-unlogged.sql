SET lock_timeout = '5s';
ALTER TABLE profiles SET UNLOGGED;
