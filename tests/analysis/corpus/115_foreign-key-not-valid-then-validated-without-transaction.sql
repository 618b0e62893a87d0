-- truss:no-transaction
SET lock_timeout = '5s';
ALTER TABLE profiles ADD CONSTRAINT profiles_account_fk FOREIGN KEY (id) REFERENCES legacy_accounts (id) NOT VALID;
ALTER TABLE profiles VALIDATE CONSTRAINT profiles_account_fk;
