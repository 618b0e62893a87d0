CREATE TABLE coupons (id bigint PRIMARY KEY, code text NOT NULL);
CREATE INDEX coupons_code_idx ON coupons (code);
