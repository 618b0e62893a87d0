INSERT INTO legacy_accounts (id) VALUES (1000), (1001);
