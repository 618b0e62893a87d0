SET lock_timeout = '5s';
CREATE INDEX measurements_at_idx ON measurements (at);
