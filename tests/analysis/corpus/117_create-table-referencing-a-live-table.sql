SET lock_timeout = '5s';
CREATE TABLE account_notes (id bigint PRIMARY KEY, account_id integer NOT NULL REFERENCES legacy_accounts (id), body text);
