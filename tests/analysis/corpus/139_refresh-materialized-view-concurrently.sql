-- truss:no-transaction
SET lock_timeout = '5s';
REFRESH MATERIALIZED VIEW CONCURRENTLY user_stats;
