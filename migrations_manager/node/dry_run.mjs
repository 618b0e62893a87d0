// The SQL node-pg-migrate would run for one migration file, without running it.
//
// node-pg-migrate's own `Migration` class, in its dry-run mode, builds the SQL exactly as a run
// does; its runner is left out, because that runner creates and reads the tracking table. The
// migration's function still runs (it builds the SQL), and a `pgm.db.query(...)` in it reaches
// the database: the URL this script is given opens a read-only session, so a write fails
// instead of happening.
//
// usage: node dry_run.mjs PACKAGE_ROOT FILE DIRECTION TABLE SCHEMA [EARLIER_FILE ...]
//   PACKAGE_ROOT  the node-pg-migrate package directory (its files are imported by path)
//   EARLIER_FILE  the JavaScript migrations before FILE, whose `shorthands` FILE may use
// environment: MIGRATIONS_MANAGER_TARGET_URL (the read-only session's URL)
// prints: one JSON object {"sql": "..."} on stdout; errors on stderr, exit status 1.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, file, direction, table, schema, ...earlier] = process.argv.slice(2);
const load = (relative) => import(pathToFileURL(join(root, relative)).href);
const { Migration, jiti } = await load("dist/bundle/index.js");
const { db: connect } = await load("dist/legacy/db.js");

const printed = [];
const logger = {
  debug: (text) => printed.push(text),
  info: () => {},
  warn: (text) => process.stderr.write(`${text}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
};

const shorthandsOf = async (path) => (await jiti.import(path)).shorthands ?? {};
let shorthands = {};
for (const path of earlier) {
  shorthands = { ...shorthands, ...(await shorthandsOf(path)) };
}

const database = connect(process.env.MIGRATIONS_MANAGER_TARGET_URL, logger);
try {
  const actions = await jiti.import(file);
  shorthands = { ...shorthands, ...(actions.shorthands ?? {}) };
  const options = { dryRun: true, migrationsTable: table, migrationsSchema: schema };
  const migration = new Migration(database, file, actions, options, shorthands, logger);
  await migration.apply(direction);
  process.stdout.write(`${JSON.stringify({ sql: printed.join("") })}\n`);
} catch (error) {
  process.stderr.write(`${error?.name ?? "Error"}: ${error?.message ?? error}\n`);
  if (error?.code) process.stderr.write(`  code: '${error.code}',\n`);
  process.exitCode = 1;
} finally {
  if (database.connected()) await database.close();
}
