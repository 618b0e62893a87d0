SET lock_timeout = '5s';
ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled';
