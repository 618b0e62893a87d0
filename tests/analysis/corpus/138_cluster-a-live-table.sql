SET lock_timeout = '5s';
CLUSTER profiles USING profiles_pkey;
