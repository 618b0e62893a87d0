-- truss:no-transaction
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY measurements_2025_at_idx ON measurements_2025 (at);
ALTER INDEX measurements_at_idx ATTACH PARTITION measurements_2025_at_idx;
