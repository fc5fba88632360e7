import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { redisSkip, startRedis, type TestRedis } from "../counters/helpers/redis-server.js";
import {
  call,
  deployEchoApi,
  ECHO_OPENAPI,
  gatewayCaughtUp,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { spawnTollgate, type TollgateProcess } from "../helpers/process.js";
import { freshPostgresDatabase, startTestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** Drives `clients` request loops against the gateways in turn for `ms`; returns status counts. */
async function drive(
  urls: string[],
  key: string,
  clients: number,
  ms: number,
): Promise<{ counts: Map<number, number>; elapsedMs: number }> {
  const counts = new Map<number, number>();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const url = `${urls[i % urls.length]}/dev/pets`;
      while (performance.now() - started < ms) {
        const r = await request(url, { headers: { "x-api-key": key } });
        await r.body.dump();
        counts.set(r.statusCode, (counts.get(r.statusCode) ?? 0) + 1);
      }
    }),
  );
  return { counts, elapsedMs: performance.now() - started };
}

describe("gateway: three processes on one Redis hold exact limits", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let upstream: Upstream;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const gateways: TollgateProcess[] = [];

  before(async () => {
    redis = await startRedis();
    upstream = await startUpstream();
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-scale-"));
    const env: NodeJS.ProcessEnv = {
      TOLLGATE_REDIS_URL: redis.url,
      TOLLGATE_ACCOUNT_RATE_LIMIT: "100000",
      TOLLGATE_ACCOUNT_BURST_LIMIT: "100000",
    };
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
    await redis.stop();
    await upstream.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function keyOnPlan(plan: Record<string, unknown>): Promise<{ key: string; keyId: string }> {
    const admin = gateways[0]!;
    let apis = await admin.admin("GET", "/restapis");
    if (!apis.item?.length) {
      const api = await admin.admin("POST", "/restapis?mode=import", ECHO_OPENAPI.toString());
      await admin.admin("POST", `/restapis/${api.id}/deployments`, {
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      });
      apis = await admin.admin("GET", "/restapis");
    }
    const apiId = apis.item[0].id;
    const suffix = Math.random().toString(36).slice(2, 8);
    const tenant = await admin.admin("POST", "/tenants", { name: `t-${suffix}` });
    const created = await admin.admin("POST", "/usageplans", {
      name: `p-${suffix}`,
      ...plan,
      apiStages: [{ apiId, stage: "dev" }],
    });
    const key = await admin.admin("POST", "/apikeys", {
      name: `k-${suffix}`,
      enabled: true,
      customerId: tenant.id,
    });
    await admin.admin("POST", `/usageplans/${created.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
    await new Promise((r) => setTimeout(r, 1000)); // every process reloads within a second
    return { key: key.value, keyId: key.id };
  }

  test("over 10 s at many times the rate, admitted = burst + rate × elapsed within 1%", async () => {
    const { key } = await keyOnPlan({ throttle: { rateLimit: 50, burstLimit: 20 } });
    const { counts, elapsedMs } = await drive(
      gateways.map((g) => g.gatewayUrl),
      key,
      12,
      10_000,
    );
    const admitted = counts.get(200) ?? 0;
    const expected = 20 + 50 * (elapsedMs / 1000);
    assert.ok(
      (counts.get(429) ?? 0) > admitted * 3,
      `load was not many times the rate: ${JSON.stringify([...counts])}`,
    );
    assert.ok(
      Math.abs(admitted - expected) <= expected * 0.01,
      `admitted ${admitted}, expected ${expected.toFixed(1)}`,
    );
  });

  test("a quota of 300 admits exactly 300 across the three processes, and the upstream sees exactly 300", async () => {
    const { key } = await keyOnPlan({ quota: { limit: 300, period: "DAY", offset: 0 } });
    const before = upstream.count();
    const { counts } = await drive(
      gateways.map((g) => g.gatewayUrl),
      key,
      24,
      3000,
    );
    assert.equal(counts.get(200), 300);
    assert.equal(upstream.count() - before, 300);
  });
});

describe("gateway: Redis unavailable", { skip: redisSkip }, () => {
  for (const mode of ["closed", "open"] as const) {
    test(`fail-${mode}: ${mode === "closed" ? "503 while Redis is down" : "local limits while Redis is down"}, shared limits again once it is back`, async () => {
      const redis = await startRedis();
      const upstream = await startUpstream();
      const t = await startTestTollgate({
        env: { TOLLGATE_REDIS_URL: redis.url, TOLLGATE_REDIS_FAILURE_MODE: mode },
      });
      try {
        const apiId = await deployEchoApi(t, upstream.url);
        const tenant = await planWithKey(t, apiId, { throttle: { rateLimit: 100, burstLimit: 100 } });
        await gatewayCaughtUp(t);
        assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
        await redis.stop();
        const down = await call(t, "/dev/pets", { key: tenant.key });
        if (mode === "closed") {
          assert.equal(down.status, 503);
          assert.ok(down.headers.get("retry-after"));
        } else assert.equal(down.status, 200);
        await redis.start();
        let status = 0;
        for (let i = 0; i < 40 && status !== 200; i++) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await call(t, "/dev/pets", { key: tenant.key })).status;
        }
        assert.equal(status, 200);
      } finally {
        await t.close();
        await upstream.close();
        await redis.stop().catch(() => {});
      }
    });
  }
});
