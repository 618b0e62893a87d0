SET lock_timeout = '5s';
ALTER TABLE users ADD PRIMARY KEY (id);
