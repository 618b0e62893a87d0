SET lock_timeout = '5s';
LOCK TABLE users IN SHARE MODE;
