CREATE TABLE coupons (id bigint PRIMARY KEY, percent integer);
ALTER TABLE coupons ADD CONSTRAINT coupons_percent_ck CHECK (percent BETWEEN 0 AND 100);
