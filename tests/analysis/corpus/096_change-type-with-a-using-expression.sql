SET lock_timeout = '5s';
ALTER TABLE profiles ALTER COLUMN bio TYPE text USING trim(bio);
