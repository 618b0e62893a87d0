SET lock_timeout = '5s';
REFRESH MATERIALIZED VIEW user_stats;
