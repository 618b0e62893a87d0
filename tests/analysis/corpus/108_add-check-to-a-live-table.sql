SET lock_timeout = '5s';
ALTER TABLE profiles ADD CONSTRAINT profiles_score_ck CHECK (score >= 0);
