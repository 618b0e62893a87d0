SET lock_timeout = '5s';
ALTER TABLE profiles VALIDATE CONSTRAINT profiles_phone_nn;
