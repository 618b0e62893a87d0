-- The target the corpus is linted against: each file sees these tables in the catalog. The
-- tables the older files name (users, orders...) are not here: their files say all there is.
CREATE TABLE profiles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle varchar(10) NOT NULL,
    bio text,
    motto varchar(5),
    email text,
    phone text,
    score numeric(8, 2),
    CONSTRAINT profiles_email_nn CHECK (email IS NOT NULL)
);
ALTER TABLE profiles ADD CONSTRAINT profiles_phone_nn CHECK (phone IS NOT NULL) NOT VALID;
INSERT INTO profiles (handle, bio, motto, email, phone, score)
SELECT 'h' || n, 'bio', 'm', 'e' || n, 'p' || n, n FROM generate_series(1, 50000) AS n;
ANALYZE profiles;
CREATE TABLE legacy_accounts (id integer PRIMARY KEY);
INSERT INTO legacy_accounts SELECT n FROM generate_series(1, 100) AS n;
CREATE TABLE measurements (at date NOT NULL, reading int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2025 PARTITION OF measurements
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements
SELECT DATE '2025-01-01' + n % 300, n FROM generate_series(1, 50000) AS n;
ANALYZE measurements;
