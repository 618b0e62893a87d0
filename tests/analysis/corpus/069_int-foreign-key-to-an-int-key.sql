SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN account_id integer REFERENCES legacy_accounts (id);
