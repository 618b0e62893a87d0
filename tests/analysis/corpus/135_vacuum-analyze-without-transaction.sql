-- truss:no-transaction
VACUUM (ANALYZE) profiles;
