import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import {
  call,
  ECHO_OPENAPI,
  echoApiWorld,
  gatewayCaughtUp,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { spawnTollgate, type TollgateProcess } from "../helpers/process.js";
import { freshPostgresDatabase, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const patch = (...patchOperations: Array<{ op: string; path: string; value?: string }>) => ({
  patchOperations,
});

describe("gateway: per-tenant block and access lists", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  before(() => {
    ({ t, upstream, apiId } = w);
  });

  test("a blocked tenant's keys answer 403 with the reason, and work again once unblocked", async () => {
    const tenant = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
    const blocked = await t.admin(
      "PATCH",
      `/tenants/${tenant.tenantId}`,
      patch(
        { op: "replace", path: "/blocked", value: "true" },
        { op: "replace", path: "/blockReason", value: "unpaid invoice" },
      ),
    );
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.blocked, true);
    assert.equal(blocked.body.blockReason, "unpaid invoice");
    await gatewayCaughtUp(t);
    const before = upstream.count();
    const r = await call(t, "/dev/pets", { key: tenant.key });
    assert.deepEqual(
      [r.status, r.body],
      [403, { message: "Forbidden: this tenant is blocked (unpaid invoice)" }],
    );
    assert.equal(upstream.count(), before);
    await t.admin(
      "PATCH",
      `/tenants/${tenant.tenantId}`,
      patch({ op: "replace", path: "/blocked", value: "false" }),
    );
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
  });

  test("allowedResources restricts a tenant to some methods; deniedResources wins over them", async () => {
    const tenant = await planWithKey(t, apiId);
    const set = await t.admin(
      "PATCH",
      `/tenants/${tenant.tenantId}`,
      patch(
        { op: "add", path: "/allowedResources", value: `${apiId}/dev/GET/pets*` },
        { op: "add", path: "/allowedResources", value: `${apiId}/*/*/files/*` },
        { op: "add", path: "/deniedResources", value: `${apiId}/dev/GET/pets/13` },
      ),
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.allowedResources, [`${apiId}/dev/GET/pets*`, `${apiId}/*/*/files/*`]);
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
    assert.equal((await call(t, "/dev/pets/7", { key: tenant.key })).status, 200);
    assert.equal(
      (await call(t, "/dev/files/a/b", { key: tenant.key, method: "PUT", body: "x" })).status,
      200,
    );
    const post = await call(t, "/dev/pets", { key: tenant.key, method: "POST", body: "{}" });
    assert.deepEqual(
      [post.status, post.body],
      [403, { message: `Forbidden: this tenant may not call ${apiId}/dev/POST/pets` }],
    );
    assert.equal((await call(t, "/dev/pets/13", { key: tenant.key })).status, 403);
    // Other tenants are not affected.
    const other = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/pets", { key: other.key, method: "POST", body: "{}" })).status, 200);
  });

  test("bad access input is a 400 that changes nothing", async () => {
    const tenant = await planWithKey(t, apiId);
    for (const operation of [
      { op: "add", path: "/allowedResources", value: "has spaces/dev" },
      { op: "add", path: "/deniedResources", value: "/leading-slash" },
      { op: "replace", path: "/blocked", value: "maybe" },
      { op: "replace", path: "/allowedResources", value: "[1, 2]" },
    ]) {
      const r = await t.admin("PATCH", `/tenants/${tenant.tenantId}`, patch(operation));
      assert.equal(r.status, 400, JSON.stringify(operation));
    }
    const created = await t.admin("POST", "/tenants", { name: "bad-access", allowedResources: ["no good"] });
    assert.equal(created.status, 400);
    const now = await t.admin("GET", `/tenants/${tenant.tenantId}`);
    assert.equal(now.body.blocked, false);
    assert.equal(now.body.allowedResources, undefined);
    assert.equal(now.body.deniedResources, undefined);
  });
});

describe("gateway: a blocked tenant is refused by three gateway processes within a second", () => {
  let upstream: Upstream;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const gateways: TollgateProcess[] = [];

  before(async () => {
    upstream = await startUpstream();
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-block-"));
    const env: NodeJS.ProcessEnv = {};
    if (process.env.TOLLGATE_TEST_DATABASE_URL) {
      const database = await freshPostgresDatabase();
      env.TOLLGATE_DATABASE_URL = database.url;
      dropDatabase = () => database.drop();
    }
    // The first process creates the schema; the others start after it.
    gateways.push(await spawnTollgate({ dataDir, env }));
    gateways.push(...(await Promise.all([spawnTollgate({ dataDir, env }), spawnTollgate({ dataDir, env })])));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await upstream.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("every process answers 403 one second after the block, and 200 one second after the unblock", async () => {
    const admin = gateways[0]!;
    const api = await admin.admin("POST", "/restapis?mode=import", ECHO_OPENAPI.toString());
    await admin.admin("POST", `/restapis/${api.id}/deployments`, {
      stageName: "dev",
      variables: { upstream: new URL(upstream.url).host },
    });
    const tenant = await admin.admin("POST", "/tenants", { name: "acme" });
    const plan = await admin.admin("POST", "/usageplans", {
      name: "p",
      apiStages: [{ apiId: api.id, stage: "dev" }],
    });
    const key = await admin.admin("POST", "/apikeys", { name: "k", enabled: true, customerId: tenant.id });
    await admin.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
    const statuses = () =>
      Promise.all(
        gateways.map(async (g) => {
          const r = await request(`${g.gatewayUrl}/dev/pets`, { headers: { "x-api-key": key.value } });
          await r.body.dump();
          return r.statusCode;
        }),
      );
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await statuses(), [200, 200, 200]);

    await admin.admin(
      "PATCH",
      `/tenants/${tenant.id}`,
      patch({ op: "replace", path: "/blocked", value: "true" }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await statuses(), [403, 403, 403]);

    await admin.admin(
      "PATCH",
      `/tenants/${tenant.id}`,
      patch({ op: "replace", path: "/blocked", value: "false" }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await statuses(), [200, 200, 200]);
  });
});
