CREATE TABLE coupons (id bigint PRIMARY KEY, active boolean);
INSERT INTO coupons VALUES (1, NULL);
UPDATE coupons SET active = true;
