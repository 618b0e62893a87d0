CREATE TABLE coupons (id bigint NOT NULL, code text);
ALTER TABLE coupons ADD PRIMARY KEY (id);
