SET lock_timeout = '5s';
ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_ck CHECK (VALUE > 0) NOT VALID;
