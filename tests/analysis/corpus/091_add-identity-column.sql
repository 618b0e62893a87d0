SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
