import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { fromJson, isUniqueViolation, openStore, type Store, toJson } from "../../src/store/index.js";
import { DIALECTS, freshPostgresDatabase } from "../helpers/tollgate.js";

/** One contract suite, run against every adapter on its real backend. */
for (const dialect of DIALECTS) {
  describe(`${dialect}: store contract`, () => {
    let store: Store;
    let options: { dataDir?: string; databaseUrl?: string };
    let cleanup: () => Promise<void>;

    before(async () => {
      if (dialect === "postgres") {
        const database = await freshPostgresDatabase();
        options = { databaseUrl: database.url };
        cleanup = () => database.drop();
      } else {
        const dataDir = mkdtempSync(join(tmpdir(), "tollgate-store-"));
        options = { dataDir };
        cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
      }
      store = await openStore(options);
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    test("reports its dialect", () => {
      assert.equal(store.dialect, dialect);
    });

    test("opening again runs no migration twice and keeps the data", async () => {
      const now = Date.now();
      await store.db
        .insertInto("tenants")
        .values({
          id: "t-reopen",
          name: "reopen",
          description: null,
          enabled: 1,
          tags: "{}",
          created_at: now,
          updated_at: now,
        })
        .execute();
      const second = await openStore(options);
      const row = await second.db
        .selectFrom("tenants")
        .selectAll()
        .where("id", "=", "t-reopen")
        .executeTakeFirst();
      await second.close();
      assert.equal(row?.name, "reopen");
    });

    test("bigint epoch milliseconds read back as numbers, JSON text round-trips", async () => {
      const ms = 1_764_000_000_123;
      await store.db
        .insertInto("tenants")
        .values({
          id: "t-types",
          name: "types",
          description: null,
          enabled: 0,
          tags: toJson({ a: "b" }),
          created_at: ms,
          updated_at: ms,
        })
        .execute();
      const row = await store.db
        .selectFrom("tenants")
        .selectAll()
        .where("id", "=", "t-types")
        .executeTakeFirstOrThrow();
      assert.equal(row.created_at, ms);
      assert.equal(typeof row.created_at, "number");
      assert.equal(row.enabled, 0);
      assert.deepEqual(fromJson(row.tags, {}), { a: "b" });
    });

    test("a transaction that throws leaves nothing behind", async () => {
      await assert.rejects(
        store.transaction(async (trx) => {
          const now = Date.now();
          await trx
            .insertInto("tenants")
            .values({
              id: "t-rollback",
              name: "rollback",
              description: null,
              enabled: 1,
              tags: "{}",
              created_at: now,
              updated_at: now,
            })
            .execute();
          throw new Error("abort");
        }),
        /abort/,
      );
      const row = await store.db
        .selectFrom("tenants")
        .selectAll()
        .where("id", "=", "t-rollback")
        .executeTakeFirst();
      assert.equal(row, undefined);
    });

    test("unique violations are recognised on both adapters", async () => {
      const now = Date.now();
      const values = {
        id: "t-unique",
        name: "unique",
        description: null,
        enabled: 1,
        tags: "{}",
        created_at: now,
        updated_at: now,
      };
      await store.db.insertInto("tenants").values(values).execute();
      const error = await store.db
        .insertInto("tenants")
        .values({ ...values, id: "t-unique-2" })
        .execute()
        .catch((e: unknown) => e);
      assert.equal(isUniqueViolation(error), true);
      assert.equal(isUniqueViolation(new Error("other")), false);
    });

    test("the configuration revision grows with each bump, inside transactions too", async () => {
      const before = await store.revision();
      await store.bumpRevision();
      await store.transaction((trx) => store.bumpRevision(trx));
      assert.equal(await store.revision(), before + 2);
    });

    test("deleting a REST API cascades to its resources, deployments and stages", async () => {
      const now = Date.now();
      await store.db
        .insertInto("rest_apis")
        .values({
          id: "api-cascade",
          name: "cascade",
          description: null,
          version: null,
          api_key_source: "HEADER",
          attributes: "{}",
          definition: null,
          warnings: "[]",
          root_resource_id: "root-cascade",
          created_at: now,
        })
        .execute();
      await store.db
        .insertInto("resources")
        .values({
          id: "root-cascade",
          rest_api_id: "api-cascade",
          parent_id: null,
          path_part: null,
          path: "/",
          methods: "{}",
        })
        .execute();
      await store.db
        .insertInto("deployments")
        .values({
          id: "dep-cascade",
          rest_api_id: "api-cascade",
          description: null,
          snapshot: "{}",
          created_at: now,
        })
        .execute();
      await store.db
        .insertInto("stages")
        .values({
          rest_api_id: "api-cascade",
          stage_name: "dev",
          deployment_id: "dep-cascade",
          description: null,
          attributes: "{}",
          created_at: now,
          updated_at: now,
        })
        .execute();
      await store.db.deleteFrom("rest_apis").where("id", "=", "api-cascade").execute();
      for (const table of ["resources", "deployments", "stages"] as const) {
        const rows = await store.db
          .selectFrom(table)
          .selectAll()
          .where("rest_api_id", "=", "api-cascade")
          .execute();
        assert.deepEqual(rows, [], `${table} rows remain`);
      }
    });

    test("postgres: idle connections the server ends are replaced, not fatal", {
      skip: dialect !== "postgres",
    }, async () => {
      // Some pooled connections sit idle; the server ends them, as a restart or failover would.
      await Promise.all([1, 2, 3].map(() => store.revision()));
      const admin = new pg.Client({ connectionString: process.env.TOLLGATE_TEST_DATABASE_URL });
      await admin.connect();
      const name = new URL(options.databaseUrl!).pathname.slice(1);
      const ended = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [name],
      );
      await admin.end();
      assert.ok(ended.rowCount! > 0, "no connection was ended");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(typeof (await store.revision()), "number");
    });
  });
}
