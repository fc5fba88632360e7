import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  GetStageCommand,
  ImportRestApiCommand,
  PutRestApiCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { Pool } from "undici";
import { gatewayCaughtUp } from "../helpers/gateway-fixture.js";
import { parsePrometheusText } from "../helpers/prometheus.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** A public method whose integration URI names the deployment and a stage variable. */
const menu = (release: string) =>
  Buffer.from(`openapi: 3.0.3
info: { title: Canary, version: "1" }
paths:
  /menu:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://\${stageVariables.upstream}/${release}/\${stageVariables.flavor}"
      responses:
        "200": { description: ok }
`);

/** `n` GETs over a keep-alive pool; what the upstream was asked for, per URL. */
async function drive(pool: Pool, n: number, concurrency = 16): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const r = await pool.request({ path: "/dev/menu", method: "GET" });
        const { url } = (await r.body.json()) as { url: string };
        assert.equal(r.statusCode, 200);
        counts.set(url, (counts.get(url) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

describe("gateway: canary releases on a stage", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  let pool: Pool;
  let canaryDeployment: string;
  const logDir = mkdtempSync(join(tmpdir(), "tollgate-canary-"));

  before(async () => {
    upstream = await startUpstream();
    t = await startTestTollgate({
      accessLog: join(logDir, "access.log"),
      env: { TOLLGATE_ACCOUNT_RATE_LIMIT: "1000000", TOLLGATE_ACCOUNT_BURST_LIMIT: "1000000" },
    });
    pool = new Pool(t.tollgate.gatewayUrl, { connections: 16 });
    const api = await t.apigateway.send(new ImportRestApiCommand({ body: menu("base") }));
    apiId = api.id!;
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host, flavor: "mild" },
      }),
    );
    // The next version of the API, deployed as the stage's canary with its own variable value.
    await t.apigateway.send(
      new PutRestApiCommand({ restApiId: apiId, mode: "overwrite", body: menu("next") }),
    );
    const canary = await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        canarySettings: { percentTraffic: 30, stageVariableOverrides: { flavor: "spicy" } },
      }),
    );
    canaryDeployment = canary.id!;
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await pool.close();
    await t.close();
    await upstream.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  test("30 % of 10,000 requests go to the canary deployment (within 2 points), with its variable overrides; metrics tell them apart", async () => {
    const counts = await drive(pool, 10_000);
    const canary = counts.get("/next/spicy") ?? 0;
    const base = counts.get("/base/mild") ?? 0;
    assert.equal(canary + base, 10_000, JSON.stringify(Object.fromEntries(counts)));
    const share = (canary / 10_000) * 100;
    assert.ok(Math.abs(share - 30) <= 2, `canary share ${share} %`);

    const scrape = parsePrometheusText(await (await fetch(`${t.tollgate.adminUrl}/metrics`)).text());
    const labels = { api: apiId, stage: "dev", status_class: "2xx" };
    assert.equal(scrape.sum("tollgate_gateway_requests_total", { ...labels, release: "canary" }), canary);
    assert.equal(scrape.sum("tollgate_gateway_requests_total", { ...labels, release: "base" }), base);
    // The access log says which release answered.
    await new Promise((r) => setTimeout(r, 300));
    const lines = readFileSync(join(logDir, "access.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.canary === true).length, canary);
  });

  test("promotion as AWS documents it (percentTraffic 0, copy the overrides and the deployment id), then removal", async () => {
    const promoted = await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [
          { op: "replace", path: "/canarySettings/percentTraffic", value: "0.0" },
          { op: "copy", from: "/canarySettings/stageVariableOverrides", path: "/variables" },
          { op: "copy", from: "/canarySettings/deploymentId", path: "/deploymentId" },
        ],
      }),
    );
    assert.equal(promoted.deploymentId, canaryDeployment);
    assert.equal(promoted.variables?.flavor, "spicy");
    await gatewayCaughtUp(t);
    assert.deepEqual(Object.fromEntries(await drive(pool, 200)), { "/next/spicy": 200 });

    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [{ op: "remove", path: "/canarySettings" }],
      }),
    );
    const stage = await t.apigateway.send(new GetStageCommand({ restApiId: apiId, stageName: "dev" }));
    assert.equal(stage.canarySettings, undefined);
    assert.equal(stage.deploymentId, canaryDeployment);
    await gatewayCaughtUp(t);
    assert.deepEqual(Object.fromEntries(await drive(pool, 100)), { "/next/spicy": 100 });
  });

  test("percentTraffic 100 sends everything to the canary; an unknown canary deployment is refused", async () => {
    await t.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "dev",
        patchOperations: [
          { op: "replace", path: "/variables/flavor", value: "mild" },
          { op: "replace", path: "/canarySettings/percentTraffic", value: "100" },
          { op: "replace", path: "/canarySettings/stageVariableOverrides/flavor", value: "hot" },
        ],
      }),
    );
    await gatewayCaughtUp(t);
    assert.deepEqual(Object.fromEntries(await drive(pool, 100)), { "/next/hot": 100 });
    await assert.rejects(
      t.apigateway.send(
        new UpdateStageCommand({
          restApiId: apiId,
          stageName: "dev",
          patchOperations: [{ op: "replace", path: "/canarySettings/deploymentId", value: "nope" }],
        }),
      ),
      /Invalid deployment identifier/,
    );
  });
});
