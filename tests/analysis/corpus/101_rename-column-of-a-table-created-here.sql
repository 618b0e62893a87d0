CREATE TABLE coupons (id bigint PRIMARY KEY, code text);
ALTER TABLE coupons RENAME COLUMN code TO label;
