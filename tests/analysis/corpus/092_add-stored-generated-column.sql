SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;
