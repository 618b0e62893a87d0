-- truss:no-transaction
SET lock_timeout = '5s';
VACUUM FULL profiles;
