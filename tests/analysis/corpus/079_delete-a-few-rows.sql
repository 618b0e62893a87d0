SET lock_timeout = '5s';
DELETE FROM profiles WHERE handle = 'h17';
