CREATE TABLE coupons (id bigint PRIMARY KEY);
SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN coupon_id bigint REFERENCES coupons (id);
