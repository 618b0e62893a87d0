-- truss:no-transaction
-- Up Migration
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_roles_kind ON roles (kind);

-- Down Migration
DROP INDEX CONCURRENTLY IF EXISTS idx_roles_kind;
