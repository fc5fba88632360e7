import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: tenants`, () => {
    let t: TestTollgate;
    before(async () => {
      t = await startTestTollgate({ dialect });
    });
    after(() => t.close());

    test("a created tenant reads back field for field and is listed", async () => {
      const created = await t.admin("POST", "/tenants", {
        name: "acme",
        description: "Acme Corp",
        tags: { tier: "gold" },
      });
      assert.equal(created.status, 201);
      assert.match(created.body.id, /^[a-z0-9]{10}$/);
      assert.equal(created.body.enabled, true);
      const read = await t.admin("GET", `/tenants/${created.body.id}`);
      assert.deepEqual(read.body, created.body);
      const list = await t.admin("GET", "/tenants");
      assert.deepEqual(
        list.body.item.map((x: { name: string }) => x.name),
        ["acme"],
      );
    });

    test("a duplicate name is a 409 ConflictException", async () => {
      await t.admin("POST", "/tenants", { name: "dup" });
      const again = await t.admin("POST", "/tenants", { name: "dup" });
      assert.equal(again.status, 409);
      assert.equal(again.headers.get("x-amzn-errortype"), "ConflictException");
      assert.match(again.body.message, /already exists/);
    });

    test("patch operations rename and disable; an unknown path is a 400 that changes nothing", async () => {
      const { body: tenant } = await t.admin("POST", "/tenants", { name: "patchme" });
      const patched = await t.admin("PATCH", `/tenants/${tenant.id}`, {
        patchOperations: [
          { op: "replace", path: "/name", value: "patched" },
          { op: "replace", path: "/enabled", value: "false" },
        ],
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.name, "patched");
      assert.equal(patched.body.enabled, false);
      const bad = await t.admin("PATCH", `/tenants/${tenant.id}`, {
        patchOperations: [
          { op: "replace", path: "/name", value: "half-applied" },
          { op: "replace", path: "/color", value: "red" },
        ],
      });
      assert.equal(bad.status, 400);
      assert.equal((await t.admin("GET", `/tenants/${tenant.id}`)).body.name, "patched");
    });

    test("delete answers 202, then the tenant is a 404 NotFoundException", async () => {
      const { body: tenant } = await t.admin("POST", "/tenants", { name: "gone" });
      assert.equal((await t.admin("DELETE", `/tenants/${tenant.id}`)).status, 202);
      const missing = await t.admin("GET", `/tenants/${tenant.id}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get("x-amzn-errortype"), "NotFoundException");
    });

    test("bad input is a clear 400: malformed JSON, wrong types", async () => {
      const malformed = await t.admin("POST", "/tenants", "{not json");
      assert.equal(malformed.status, 400);
      assert.match(malformed.body.message, /Invalid JSON/);
      const wrongType = await t.admin("POST", "/tenants", { name: 42 });
      assert.equal(wrongType.status, 400);
      assert.match(wrongType.body.message, /name/);
      assert.equal(
        (await t.admin("GET", "/tenants")).body.item.some((x: { name: unknown }) => x.name === 42),
        false,
      );
    });
  });
}
