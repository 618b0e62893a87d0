CREATE TYPE shipping_speed AS ENUM ('slow', 'fast');
