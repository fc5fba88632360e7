import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ECHO_OPENAPI } from "../helpers/gateway-fixture.js";
import { spawnTollgate, TEST_ADMIN_TOKEN, type TollgateProcess } from "../helpers/process.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

describe("serve --role: a gateway process and an admin + worker + portal process on one store", () => {
  let dataDir: string;
  let upstream: Upstream;
  let control: TollgateProcess;
  let gateway: TollgateProcess;
  let dropDatabase: (() => Promise<void>) | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tollgate-roles-"));
    upstream = await startUpstream();
    const env: NodeJS.ProcessEnv = {};
    if (process.env.TOLLGATE_TEST_DATABASE_URL) {
      const database = await freshPostgresDatabase();
      env.TOLLGATE_DATABASE_URL = database.url;
      dropDatabase = () => database.drop();
    }
    // The first start migrates the store and writes the credentials; the second finds both.
    control = await spawnTollgate({ dataDir, env, args: ["--role", "admin,worker,portal"] });
    gateway = await spawnTollgate({ dataDir, env, args: ["--role", "gateway"] });
  });
  after(async () => {
    await gateway?.stop();
    await control?.stop();
    await upstream.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("each process listens only for its parts; the admin port of the gateway process has only the probes", async () => {
    await assert.rejects(fetch(`${control.gatewayUrl}/`), "the control process runs no gateway");
    assert.equal((await fetch(`${gateway.adminUrl}/health`)).status, 200);
    assert.equal((await fetch(`${gateway.adminUrl}/ready`)).status, 200);
    const metrics = await fetch(`${gateway.adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /tollgate_/);
    const apis = await fetch(`${gateway.adminUrl}/restapis`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(apis.status, 400);
    assert.match(
      ((await apis.json()) as { message: string }).message,
      /No admin operation matches GET \/restapis/,
    );
  });

  test("what the admin process configures, the gateway process serves, and its usage reaches get-usage", async () => {
    const api = await control.admin("POST", "/restapis?mode=import", ECHO_OPENAPI.toString());
    await control.admin("POST", `/restapis/${api.id}/deployments`, {
      stageName: "dev",
      variables: { upstream: new URL(upstream.url).host },
    });
    const tenant = await control.admin("POST", "/tenants", { name: "acme" });
    const plan = await control.admin("POST", "/usageplans", {
      name: "p",
      quota: { limit: 100, period: "DAY" },
      apiStages: [{ apiId: api.id, stage: "dev" }],
    });
    const key = await control.admin("POST", "/apikeys", { name: "k", enabled: true, customerId: tenant.id });
    await control.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });

    const call = () => fetch(`${gateway.gatewayUrl}/dev/pets`, { headers: { "x-api-key": key.value } });
    // The gateway process picks the change up from the store within a second.
    const deadline = Date.now() + 5000;
    while ((await call()).status !== 200) {
      assert.ok(Date.now() < deadline, "the gateway process never served the new key");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 4; i++) assert.equal((await call()).status, 200);
    assert.equal(upstream.count(), 5);

    const day = new Date().toISOString().slice(0, 10);
    let used = 0;
    while (Date.now() < deadline + 5000) {
      const usage = await control.admin(
        "GET",
        `/usageplans/${plan.id}/usage?startDate=${day}&endDate=${day}`,
      );
      used = usage.values?.[key.id]?.[0]?.[0] ?? 0;
      if (used === 5) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(used, 5);
  });

  test("an unknown role is refused before anything starts", () => {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "serve", "--data-dir", dataDir, "--role", "gateway,wroker"],
      { encoding: "utf8", env: { ...process.env, TOLLGATE_ADMIN_PORT: "0", TOLLGATE_GATEWAY_PORT: "0" } },
    );
    assert.notEqual(run.status, 0);
    assert.match(
      run.stderr,
      /Invalid role 'wroker': expected a comma-separated list of gateway, admin, worker, portal/,
    );
  });
});
