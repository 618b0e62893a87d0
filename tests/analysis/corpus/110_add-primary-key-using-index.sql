SET lock_timeout = '5s';
ALTER TABLE profiles ADD CONSTRAINT profiles_email_key UNIQUE USING INDEX profiles_email_idx;
