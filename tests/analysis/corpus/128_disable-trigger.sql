SET lock_timeout = '5s';
ALTER TABLE profiles DISABLE TRIGGER profiles_audit;
