SET lock_timeout = '5s';
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
COMMENT ON TYPE order_status IS 'new, paid, refunded';
