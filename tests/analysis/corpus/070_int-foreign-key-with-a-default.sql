SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN account_id integer DEFAULT 1 REFERENCES legacy_accounts (id);
