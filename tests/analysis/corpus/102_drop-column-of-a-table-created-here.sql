CREATE TABLE coupons (id bigint PRIMARY KEY, code text);
ALTER TABLE coupons DROP COLUMN code;
