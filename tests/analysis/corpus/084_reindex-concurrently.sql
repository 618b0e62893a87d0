-- truss:no-transaction
SET lock_timeout = '5s';
REINDEX INDEX CONCURRENTLY profiles_pkey;
