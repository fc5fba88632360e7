import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { SecretBox } from "../../src/core/secrets.js";
import { parseCsv } from "../../src/plans/api-keys.js";
import { ApiKeyService, TenantService, UsagePlanService } from "../../src/plans/index.js";
import { openStore, type Store } from "../../src/store/index.js";
import { DIALECTS, freshPostgresDatabase } from "../helpers/tollgate.js";

describe("CSV reader for ImportApiKeys", () => {
  test("reads double- and single-quoted fields, doubled quotes, CRLF and a byte-order mark", () => {
    const records = parseCsv('\uFEFFname,key\r\n"a, ""quoted"" name",\'x,y\'\r\n plain , trimmed \r\n');
    assert.deepEqual(records, [
      { line: 1, cells: ["name", "key"] },
      { line: 2, cells: ['a, "quoted" name', "x,y"] },
      { line: 3, cells: ["plain", "trimmed"] },
    ]);
  });

  test("keeps the line a record starts on across blank lines and quoted line breaks", () => {
    const records = parseCsv('h1,h2\n\n"two\nlines",b\nlast,row');
    assert.deepEqual(records, [
      { line: 1, cells: ["h1", "h2"] },
      { line: 3, cells: ["two\nlines", "b"] },
      { line: 5, cells: ["last", "row"] },
    ]);
  });

  test("an apostrophe inside a field is text, and an unclosed quote is an error", () => {
    assert.deepEqual(parseCsv("O'Brien,key")[0]?.cells, ["O'Brien", "key"]);
    assert.throws(() => parseCsv('a,"open\n'), /never closed/);
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: API keys in the store`, () => {
    let store: Store;
    let drop: (() => Promise<void>) | undefined;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let keys: ApiKeyService;
    before(async () => {
      const database = dialect === "postgres" ? await freshPostgresDatabase() : undefined;
      drop = database?.drop;
      store = await openStore({ databaseUrl: database?.url, dataDir: ":memory:" });
      keys = new ApiKeyService(store, clock, new SecretBox("a server secret for tests"));
    });
    after(async () => {
      await store.close();
      await drop?.();
    });

    test("every write bumps the configuration revision; a refused one does not", async () => {
      const tenant = await new TenantService(store, clock).create({ name: "rev-tenant" });
      let revision = await store.revision();
      const key = await keys.create({ name: "rev", customerId: tenant.id, enabled: true });
      assert.equal(await store.revision(), ++revision);
      await keys.update(key.id, [{ op: "replace", path: "/enabled", value: "false" }]);
      assert.equal(await store.revision(), ++revision);
      await assert.rejects(keys.create({ value: key.value }), { code: "ConflictException" });
      await assert.rejects(keys.update(key.id, [{ op: "replace", path: "/nope", value: "x" }]), {
        code: "BadRequestException",
      });
      assert.equal(await store.revision(), revision);
      await keys.delete(key.id);
      assert.equal(await store.revision(), ++revision);
    });

    test("findByValue answers what the gateway needs: id, enabled and owning tenant", async () => {
      const tenant = await new TenantService(store, clock).create({ name: "lookup-tenant" });
      const key = await keys.create({
        value: "lookup-value-0123456789",
        customerId: tenant.id,
        enabled: true,
      });
      assert.deepEqual(await keys.findByValue("lookup-value-0123456789"), {
        id: key.id,
        enabled: true,
        customerId: tenant.id,
      });
      await keys.update(key.id, [{ op: "replace", path: "/enabled", value: "false" }]);
      assert.equal((await keys.findByValue("lookup-value-0123456789"))?.enabled, false);
      assert.equal(await keys.findByValue("lookup-value-012345678"), undefined);
    });

    test("timestamps come from the clock, in epoch seconds", async () => {
      clock.set(Date.UTC(2026, 5, 1, 12, 0, 0, 999));
      const key = await keys.create({ name: "clocked" });
      clock.advance(60_000);
      const updated = await keys.update(key.id, [{ op: "replace", path: "/name", value: "clocked-later" }]);
      assert.equal(key.createdDate, Date.UTC(2026, 5, 1, 12) / 1000);
      assert.equal(updated.createdDate, key.createdDate);
      assert.equal(updated.lastUpdatedDate, key.createdDate + 60);
    });

    test("an import that puts one key on two plans sharing a stage warns and skips that row", async () => {
      const now = clock.now();
      await store.db
        .insertInto("rest_apis")
        .values({
          id: "importapi0",
          name: "i",
          description: null,
          version: null,
          api_key_source: "HEADER",
          attributes: "{}",
          definition: null,
          warnings: "[]",
          root_resource_id: "root000000",
          created_at: now,
        })
        .execute();
      await store.db
        .insertInto("stages")
        .values({
          rest_api_id: "importapi0",
          stage_name: "prod",
          deployment_id: "d",
          description: null,
          attributes: "{}",
          created_at: now,
          updated_at: now,
        })
        .execute();
      const plans = new UsagePlanService(store, clock);
      const a = await plans.create({ name: "a", apiStages: [{ apiId: "importapi0", stage: "prod" }] });
      const b = await plans.create({ name: "b", apiStages: [{ apiId: "importapi0", stage: "prod" }] });
      const result = await keys.importCsv(
        `name,key,usageplanids\nboth,import-both-0123456789,"${a.id},${b.id}"\n`,
        {
          format: "CSV",
        },
      );
      assert.deepEqual(result.ids, []);
      assert.match(result.warnings[0]!, /^Line 2: .*same API Stage: importapi0:prod; row skipped$/);
      assert.equal(await keys.findByValue("import-both-0123456789"), undefined);
    });
  });
}
