SET lock_timeout = '5s';
DROP INDEX users_email_idx;
