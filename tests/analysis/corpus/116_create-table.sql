CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
