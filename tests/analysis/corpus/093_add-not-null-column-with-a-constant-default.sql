SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN tier integer NOT NULL DEFAULT 0;
