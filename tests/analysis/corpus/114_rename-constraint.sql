SET lock_timeout = '5s';
ALTER TABLE profiles RENAME CONSTRAINT profiles_phone_nn TO profiles_phone_present;
