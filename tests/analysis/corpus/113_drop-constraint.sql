SET lock_timeout = '5s';
ALTER TABLE profiles DROP CONSTRAINT profiles_phone_nn;
