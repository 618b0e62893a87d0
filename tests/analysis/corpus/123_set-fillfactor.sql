SET lock_timeout = '5s';
ALTER TABLE profiles SET (fillfactor = 70);
