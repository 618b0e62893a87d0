SET lock_timeout = '5s';
ALTER TYPE mood ADD VALUE 'meh';
