SET lock_timeout = '5s';
LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE;
