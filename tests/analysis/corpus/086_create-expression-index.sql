SET lock_timeout = '5s';
CREATE INDEX profiles_lower_email_idx ON profiles (lower(email));
