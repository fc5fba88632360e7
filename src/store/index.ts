/**
 * The store: persistence behind one interface. Domain parts use `store.db`, a Kysely query
 * builder typed by `Database`, so every query is written once and runs on both adapters:
 * SQLite (the default, one file in the data directory) and PostgreSQL (`TOLLGATE_DATABASE_URL`).
 * Migrations come from one source (`./migrations`) for both.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import {
  Kysely,
  type Migration,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Transaction,
} from "kysely";
import pg from "pg";
import * as initial from "./migrations/001-initial.js";
import * as usage from "./migrations/002-usage.js";
import * as metering from "./migrations/003-metering.js";
import * as billing from "./migrations/004-billing.js";
import * as events from "./migrations/005-events.js";
import * as portal from "./migrations/006-portal.js";
import * as gatewayPolicies from "./migrations/007-gateway-policies.js";
import * as usageIndexes from "./migrations/008-usage-indexes.js";
import type { Database } from "./schema.js";

export type { Database } from "./schema.js";
export { fromJson, isUniqueViolation, toJson } from "./values.js";

export type StoreDialect = "sqlite" | "postgres";
export type Tx = Kysely<Database> | Transaction<Database>;

export interface StoreOptions {
  /** PostgreSQL connection string; when absent the SQLite file `<dataDir>/tollgate.db` is used. */
  databaseUrl?: string;
  /** Directory of the SQLite file; `:memory:` keeps the database in memory. */
  dataDir?: string;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Marks the configuration as changed, inside the caller's transaction when given one. */
  bumpRevision(trx?: Tx): Promise<void>;
  /** The configuration revision: a number that grows with every control-plane write. */
  revision(): Promise<number>;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  "001-initial": initial,
  "002-usage": usage,
  "003-metering": metering,
  "004-billing": billing,
  "005-events": events,
  "006-portal": portal,
  "007-gateway-policies": gatewayPolicies,
  "008-usage-indexes": usageIndexes,
};

export async function openStore(options: StoreOptions): Promise<Store> {
  const { db, dialect } = options.databaseUrl
    ? { db: postgres(options.databaseUrl), dialect: "postgres" as const }
    : { db: sqlite(options.dataDir ?? ".tollgate"), dialect: "sqlite" as const };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: "tollgate_migrations",
    migrationLockTableName: "tollgate_migrations_lock",
    // Parts add migrations side by side (005-events, 006-portal): a database that ran a later
    // number first still takes an earlier one that lands after it.
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error;
  }
  // SQLite's planner needs table statistics to pick the selective index (a key's usage among
  // 900,000 ledger rows: 1 ms instead of 30); `optimize` refreshes them cheaply, at open and
  // hourly. PostgreSQL's autovacuum keeps its own.
  let optimizer: NodeJS.Timeout | undefined;
  if (dialect === "sqlite") {
    const optimize = () => sql`pragma optimize=0x10002`.execute(db).catch(() => {});
    await optimize();
    optimizer = setInterval(optimize, 3_600_000);
    optimizer.unref();
  }
  return {
    db,
    dialect,
    transaction: (fn) => db.transaction().execute(fn),
    async bumpRevision(trx = db) {
      await trx
        .updateTable("config_revision")
        .set({ revision: sql`revision + 1`, updated_at: Date.now() })
        .where("id", "=", 1)
        .execute();
    },
    async revision() {
      const row = await db
        .selectFrom("config_revision")
        .select("revision")
        .where("id", "=", 1)
        .executeTakeFirst();
      return Number(row?.revision ?? 0);
    },
    close: () => {
      clearInterval(optimizer);
      return db.destroy();
    },
  };
}

function sqlite(dataDir: string): Kysely<Database> {
  let file = ":memory:";
  if (dataDir !== ":memory:") {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, "tollgate.db");
  }
  const database = new SQLite(file);
  // WAL lets readers run beside the one writer; foreign keys make deletes cascade as on PostgreSQL.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

// bigint columns hold epoch milliseconds and counters, all far below 2^53: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function postgres(connectionString: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle connection the server ended (a restart, a failover, an administrator) is dropped from
  // the pool and replaced on the next query; unhandled, its error would end the process.
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
