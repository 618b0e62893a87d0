SET lock_timeout = '5s';
CREATE UNIQUE INDEX profiles_email_key ON profiles (email);
