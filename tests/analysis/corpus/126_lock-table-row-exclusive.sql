SET lock_timeout = '5s';
LOCK TABLE profiles IN ROW EXCLUSIVE MODE;
