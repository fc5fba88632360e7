import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { redisSkip, startRedis, type TestRedis } from "../counters/helpers/redis-server.js";
import { spawnTollgate, TEST_ADMIN_TOKEN, type TollgateProcess } from "../helpers/process.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";
import { CACHE_OPENAPI, type CountingUpstream, startCountingUpstream } from "./helpers/cache-upstream.js";

async function get(gateway: TollgateProcess, path: string, key: string) {
  const r = await fetch(`${gateway.gatewayUrl}${path}`, { headers: { "x-api-key": key } });
  return { status: r.status, cache: r.headers.get("x-cache"), body: (await r.json()) as { n: number } };
}

describe("gateway cache in Redis: shared by two gateway processes", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let upstream: CountingUpstream;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let key: string;
  let apiId: string;
  const gateways: TollgateProcess[] = [];

  before(async () => {
    redis = await startRedis();
    upstream = await startCountingUpstream();
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-cache-"));
    const env: NodeJS.ProcessEnv = { TOLLGATE_REDIS_URL: redis.url };
    if (process.env.TOLLGATE_TEST_DATABASE_URL) {
      const database = await freshPostgresDatabase();
      env.TOLLGATE_DATABASE_URL = database.url;
      dropDatabase = () => database.drop();
    }
    gateways.push(await spawnTollgate({ dataDir, env }));
    gateways.push(await spawnTollgate({ dataDir, env }));
    const admin = gateways[0]!;
    const api = await admin.admin("POST", "/restapis?mode=import", CACHE_OPENAPI.toString());
    apiId = api.id;
    await admin.admin("POST", `/restapis/${apiId}/deployments`, {
      stageName: "dev",
      variables: { upstream: new URL(upstream.url).host },
    });
    await admin.admin("PATCH", `/restapis/${apiId}/stages/dev`, {
      patchOperations: [
        { op: "replace", path: "/cacheClusterEnabled", value: "true" },
        { op: "replace", path: "/*/*/caching/enabled", value: "true" },
        { op: "replace", path: "/*/*/caching/ttlInSeconds", value: "120" },
      ],
    });
    const tenant = await admin.admin("POST", "/tenants", { name: "acme" });
    const plan = await admin.admin("POST", "/usageplans", {
      name: "p",
      quota: { limit: 100, period: "DAY" },
      apiStages: [{ apiId, stage: "dev" }],
    });
    const created = await admin.admin("POST", "/apikeys", {
      name: "k",
      enabled: true,
      customerId: tenant.id,
    });
    await admin.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: created.id, keyType: "API_KEY" });
    key = created.value;
    // Both processes reload within a second.
    await new Promise((r) => setTimeout(r, 1200));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await redis.stop();
    await upstream.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("an answer stored by one process is served by the other; the upstream sees one request", async () => {
    const [a, b] = gateways as [TollgateProcess, TollgateProcess];
    const first = await get(a, "/dev/items?color=red", key);
    assert.equal(first.cache, "Miss");
    // The SET after a miss is not waited for: give it a moment to land.
    await new Promise((r) => setTimeout(r, 100));
    const second = await get(b, "/dev/items?color=red", key);
    const third = await get(a, "/dev/items?color=red", key);
    assert.deepEqual([second.cache, third.cache], ["Hit", "Hit"]);
    assert.equal(second.body.n, first.body.n);
    assert.equal(upstream.count("/items?color=red"), 1);

    // The entry lives in Redis with the method's TTL (PX).
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys("tollgate:c:*");
      assert.equal(keys.length, 1);
      assert.match(keys[0]!, new RegExp(`^tollgate:c:${apiId}/dev@`));
      const ttl = await client.pttl(keys[0]!);
      assert.ok(ttl > 110_000 && ttl <= 120_000, `ttl ${ttl}`);
    } finally {
      client.disconnect();
    }
  });

  test("FlushStageCache through one process empties the cache for both within a second", async () => {
    const [a, b] = gateways as [TollgateProcess, TollgateProcess];
    await get(a, "/dev/items?color=blue", key);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await get(b, "/dev/items?color=blue", key)).cache, "Hit");
    const r = await fetch(`${a.adminUrl}/restapis/${apiId}/stages/dev/cache/data`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(r.status, 202);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await get(b, "/dev/items?color=blue", key)).cache, "Miss");
    assert.equal(upstream.count("/items?color=blue"), 2);
  });

  test("with caching/dataEncrypted the answer sits sealed in Redis and is still served by both processes", async () => {
    const [a, b] = gateways as [TollgateProcess, TollgateProcess];
    const client = new Redis(redis.url);
    try {
      const plainKeys = new Set(await client.keys("tollgate:c:*"));
      const r = await fetch(`${a.adminUrl}/restapis/${apiId}/stages/dev`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          patchOperations: [{ op: "replace", path: "/*/*/caching/dataEncrypted", value: "true" }],
        }),
      });
      assert.equal(r.status, 200);
      await new Promise((r) => setTimeout(r, 1200));
      const first = await get(a, "/dev/items?color=green", key);
      assert.equal(first.cache, "Miss");
      await new Promise((r) => setTimeout(r, 100));
      const second = await get(b, "/dev/items?color=green", key);
      assert.deepEqual([second.cache, second.body.n], ["Hit", first.body.n]);

      const sealed = (await client.keys("tollgate:c:*")).filter((k) => !plainKeys.has(k));
      assert.equal(sealed.length, 1);
      const value = (await client.getBuffer(sealed[0]!))!;
      assert.equal(value[0], 0x01);
      assert.ok(!value.includes("color=green") && !value.includes("application/json"));
      // The answers stored before the change are in clear, as AWS leaves them until they expire.
      const plain = (await client.getBuffer([...plainKeys][0]!))!;
      assert.ok(plain.includes("application/json"));
    } finally {
      client.disconnect();
    }
  });
});
