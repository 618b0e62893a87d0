SET lock_timeout = '5s';
ALTER TABLE users ADD CONSTRAINT users_age_ck CHECK (age >= 0);
