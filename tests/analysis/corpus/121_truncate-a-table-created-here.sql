CREATE TABLE scratch (id bigint PRIMARY KEY);
TRUNCATE scratch;
