SET lock_timeout = '5s';
ALTER TABLE profiles ADD CONSTRAINT profiles_account_fk FOREIGN KEY (id) REFERENCES legacy_accounts (id);
