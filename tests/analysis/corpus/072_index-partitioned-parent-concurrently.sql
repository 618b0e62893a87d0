-- truss:no-transaction
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY measurements_at_idx ON measurements (at);
