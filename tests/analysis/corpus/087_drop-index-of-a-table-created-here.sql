CREATE TABLE coupons (id bigint PRIMARY KEY, code text);
CREATE INDEX coupons_code_idx ON coupons (code);
DROP INDEX coupons_code_idx;
