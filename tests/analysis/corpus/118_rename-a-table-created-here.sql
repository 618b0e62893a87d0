CREATE TABLE coupons (id bigint PRIMARY KEY);
ALTER TABLE coupons RENAME TO vouchers;
