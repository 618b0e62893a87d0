SET lock_timeout = '5s';
UPDATE users SET active = true;
