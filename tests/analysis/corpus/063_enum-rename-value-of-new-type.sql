CREATE TYPE shipping_speed AS ENUM ('slow', 'fast');
ALTER TYPE shipping_speed RENAME VALUE 'fast' TO 'express';
