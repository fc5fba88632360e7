import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { request } from "undici";
import { openStore } from "../../src/store/index.js";
import { ECHO_OPENAPI } from "../helpers/gateway-fixture.js";
import { spawnTollgate, type TollgateProcess } from "../helpers/process.js";
import { startUpstream } from "../helpers/upstream.js";

/** Keeps `clients` loops of requests going until `stop()`; counts 200s. */
function load(urlOf: () => string, key: string, clients: number) {
  let running = true;
  let ok = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const r = await request(`${urlOf()}/dev/pets`, { headers: { "x-api-key": key } });
        await r.body.dump();
        if (r.statusCode === 200) ok++;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  });
  return {
    ok: () => ok,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

test("after a SIGKILL mid-load and a restart, recorded usage equals what the upstream received", async () => {
  const upstream = await startUpstream();
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-kill-"));
  let gateway: TollgateProcess = await spawnTollgate({ dataDir });
  try {
    const api = await gateway.admin("POST", "/restapis?mode=import", ECHO_OPENAPI.toString());
    await gateway.admin("POST", `/restapis/${api.id}/deployments`, {
      stageName: "dev",
      variables: { upstream: new URL(upstream.url).host },
    });
    const tenant = await gateway.admin("POST", "/tenants", { name: "durable" });
    const plan = await gateway.admin("POST", "/usageplans", {
      name: "unlimited",
      apiStages: [{ apiId: api.id, stage: "dev" }],
    });
    const key = await gateway.admin("POST", "/apikeys", { name: "k", enabled: true, customerId: tenant.id });
    await gateway.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
    await new Promise((r) => setTimeout(r, 600)); // the gateway picks the key up within a second

    const traffic = load(() => gateway.gatewayUrl, key.value, 16);
    await new Promise((r) => setTimeout(r, 1500));
    await gateway.kill();
    const beforeRestart = upstream.count();
    gateway = await spawnTollgate({ dataDir });
    await new Promise((r) => setTimeout(r, 1000));
    await traffic.stop();
    await gateway.stop();

    const store = await openStore({ dataDir });
    const rows = await store.db
      .selectFrom("usage_counts")
      .select("requests")
      .where("key_id", "=", key.id)
      .execute();
    await store.close();
    const recorded = rows.reduce((sum, r) => sum + r.requests, 0);
    assert.ok(beforeRestart > 30, `load before the kill was too light (${beforeRestart})`);
    assert.ok(upstream.count() > beforeRestart, "no traffic after the restart");
    assert.equal(recorded, upstream.count());
  } finally {
    await gateway.stop().catch(() => {});
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
