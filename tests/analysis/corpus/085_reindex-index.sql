SET lock_timeout = '5s';
REINDEX INDEX profiles_pkey;
