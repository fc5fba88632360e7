import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { redisSkip, startRedis, type TestRedis } from "../counters/helpers/redis-server.js";
import { ECHO_OPENAPI } from "../helpers/gateway-fixture.js";
import { spawnTollgate, type TollgateProcess } from "../helpers/process.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** Statuses of `n` requests with `key` to one gateway, one after another. */
async function statuses(gateway: TollgateProcess, key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${gateway.gatewayUrl}/dev/pets`, { headers: { "x-api-key": key } });
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

describe("update-usage with Redis: two Tollgate processes", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let upstream: Upstream;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const processes: TollgateProcess[] = [];

  before(async () => {
    redis = await startRedis();
    upstream = await startUpstream();
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-metering-redis-"));
    const env: NodeJS.ProcessEnv = { TOLLGATE_REDIS_URL: redis.url };
    if (process.env.TOLLGATE_TEST_DATABASE_URL) {
      const database = await freshPostgresDatabase();
      env.TOLLGATE_DATABASE_URL = database.url;
      dropDatabase = () => database.drop();
    }
    // The first process creates the schema; the second starts after it.
    processes.push(await spawnTollgate({ dataDir, env }));
    processes.push(await spawnTollgate({ dataDir, env }));
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
    await upstream.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("an update-usage through one process's admin API holds at once on the other process's gateway", async () => {
    const [a, b] = processes as [TollgateProcess, TollgateProcess];
    const api = await a.admin("POST", "/restapis?mode=import", ECHO_OPENAPI.toString());
    await a.admin("POST", `/restapis/${api.id}/deployments`, {
      stageName: "dev",
      variables: { upstream: new URL(upstream.url).host },
    });
    const plan = await a.admin("POST", "/usageplans", {
      name: "shared",
      quota: { limit: 100, period: "MONTH", offset: 0 },
      apiStages: [{ apiId: api.id, stage: "dev" }],
    });
    const key = await a.admin("POST", "/apikeys", { name: "k", enabled: true });
    await a.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
    await new Promise((r) => setTimeout(r, 1000)); // every process reloads within a second

    assert.deepEqual(await statuses(b, key.value, 3), [200, 200, 200]);
    const updated = await a.admin("PATCH", `/usageplans/${plan.id}/keys/${key.id}/usage`, {
      patchOperations: [{ op: "replace", path: "/remaining", value: "4" }],
    });
    assert.equal(updated.values[key.id].at(-1)[1], 4);
    assert.deepEqual(await statuses(b, key.value, 3), [200, 200, 200]);
    assert.deepEqual(await statuses(a, key.value, 2), [200, 429]);
    assert.deepEqual(await statuses(b, key.value, 1), [429]);
  });
});
