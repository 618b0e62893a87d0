-- truss:no-transaction
SET lock_timeout = '5s';
CREATE UNIQUE INDEX CONCURRENTLY profiles_email_key ON profiles (email);
