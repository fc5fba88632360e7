import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  FlushStageCacheCommand,
  GetStageCommand,
  type Stage,
} from "@aws-sdk/client-api-gateway";
import { call, gatewayCaughtUp } from "../helpers/gateway-fixture.js";
import { runCli } from "../helpers/process.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** An open API proxying GET /items to the upstream's `/{version}/items`, so answers tell versions apart. */
function document(version: string): string {
  return JSON.stringify({
    openapi: "3.0.3",
    info: { title: "shop", version },
    paths: {
      "/items": {
        get: {
          responses: { "200": { description: "ok" } },
          "x-amazon-apigateway-integration": {
            type: "http_proxy",
            httpMethod: "GET",
            uri: `http://\${stageVariables.upstream}/${version}/items`,
          },
        },
      },
    },
  });
}

/** The stage `prod` of API `shop`, with `extra` appended to the stage's lines. */
function config(upstream: string, extra: string): string {
  return `
apis:
  - name: shop
    openapi: shop.json
    stages:
      - name: prod
        variables: { upstream: "${upstream}" }
${extra}`;
}

const CACHE = `
        cache:
          enabled: true
          size: 1.6
          methods:
            "*/*": { enabled: true, ttlInSeconds: 60 }
            "/items/GET": { enabled: true, ttlInSeconds: 120, dataEncrypted: true }`;

const CANARY = `
        canary:
          percentTraffic: 10
          stageVariableOverrides: { flavour: canary }
          useStageCache: true`;

describe("tollgate apply: a stage's response cache and canary", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let host: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let apiId: string;
  /** The deployment the stage serves after the first apply. */
  let first: string;
  const write = (extra: string) => writeFileSync(join(dir, "tollgate.yaml"), config(host, extra));
  const apply = (...args: string[]) => runCli(["apply", "-f", join(dir, "tollgate.yaml"), ...args], env);
  const getStage = (): Promise<Stage> =>
    t.apigateway.send(new GetStageCommand({ restApiId: apiId, stageName: "prod" }));
  /** The upstream paths the next `n` gateway requests reach. */
  const reached = async (n: number): Promise<string[]> => {
    await gatewayCaughtUp(t);
    const from = upstream.count();
    for (let i = 0; i < n; i++) assert.equal((await call(t, "/prod/items")).status, 200);
    return upstream.seen.slice(from).map((r) => r.url);
  };

  before(async () => {
    upstream = await startUpstream();
    host = new URL(upstream.url).host;
    t = await startTestTollgate();
    dir = mkdtempSync(join(tmpdir(), "tollgate-apply-cache-canary-"));
    env = { TOLLGATE_ENDPOINT: t.tollgate.adminUrl, TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken };
    writeFileSync(join(dir, "shop.json"), document("v1"));
  });
  after(async () => {
    await t.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("apply sets the cache cluster, each listed method's caching and the canary, as GetStage reads them", async () => {
    write(CACHE + CANARY);
    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /\+ create stage shop\/prod\n(.*\n)*\s+cache\.size: 1\.6\n/);
    assert.match(run.stdout, /canary\.deployment: \(the stage's\)/);
    apiId = (await t.admin("GET", "/restapis")).body.item[0].id;
    const stage = await getStage();
    first = stage.deploymentId!;
    assert.equal(stage.cacheClusterEnabled, true);
    assert.equal(stage.cacheClusterSize, "1.6");
    const caching = Object.fromEntries(
      Object.entries(stage.methodSettings ?? {}).map(([key, s]) => [
        key,
        [s.cachingEnabled, s.cacheTtlInSeconds, s.cacheDataEncrypted],
      ]),
    );
    assert.deepEqual(caching, { "*/*": [true, 60, false], "~1items/GET": [true, 120, true] });
    // A canary added with an unchanged document runs the stage's own deployment.
    assert.deepEqual(stage.canarySettings, {
      deploymentId: first,
      percentTraffic: 10,
      stageVariableOverrides: { flavour: "canary" },
      useStageCache: true,
    });
    // The gateway answers the second request from the cache (the canary shares it).
    assert.deepEqual(await reached(2), ["/v1/items"]);
    const hit = await call(t, "/prod/items");
    assert.equal(hit.headers.get("x-cache"), "Hit");
  });

  test("applying the same file again changes nothing: the dry run exits 0", async () => {
    const revision = await t.tollgate.store.revision();
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 0, dry.stderr + dry.stdout);
    assert.match(dry.stdout, /No changes/);
    const run = await apply();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await t.tollgate.store.revision(), revision);
  });

  test("a changed OpenAPI file goes to the canary while the base keeps its deployment", async () => {
    writeFileSync(join(dir, "shop.json"), document("v2"));
    write(CACHE + CANARY.replace("percentTraffic: 10", "percentTraffic: 100").replace("true", "false"));
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 2, dry.stderr + dry.stdout);
    assert.match(dry.stdout, /~ update stage shop\/prod\n/);
    assert.match(
      dry.stdout,
      new RegExp(`canary\\.deployment: ${first} → \\(new: the OpenAPI file changed\\)`),
    );
    assert.match(dry.stdout, /canary\.percentTraffic: 10 → 100/);
    assert.match(dry.stdout, /canary\.useStageCache: true → false/);
    assert.doesNotMatch(dry.stdout, /^\s+deployment:/m);
    assert.equal((await getStage()).canarySettings?.percentTraffic, 10, "the dry run wrote nothing");

    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const stage = await getStage();
    assert.equal(stage.deploymentId, first);
    assert.notEqual(stage.canarySettings?.deploymentId, first);
    assert.deepEqual(
      { ...stage.canarySettings, deploymentId: undefined },
      {
        deploymentId: undefined,
        percentTraffic: 100,
        stageVariableOverrides: { flavour: "canary" },
        useStageCache: false,
      },
    );
    // Every request goes to the canary, which has its own (empty) cache.
    assert.deepEqual(await reached(2), ["/v2/items"]);
    assert.equal((await apply("--dry-run")).code, 0);
  });

  test("removing the canary block promotes the canary running the file's document and removes the settings", async () => {
    const canary = (await getStage()).canarySettings!.deploymentId!;
    write(CACHE);
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 2, dry.stderr + dry.stdout);
    assert.match(dry.stdout, new RegExp(`deployment: ${first} → ${canary} \\(the canary's, promoted\\)`));
    assert.match(dry.stdout, /canary: \{.*\} → \(removed\)/);
    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const stage = await getStage();
    assert.equal(stage.canarySettings, undefined);
    assert.equal(stage.deploymentId, canary);
    // The base's cache still holds v1's answer (deployments do not flush it, as on AWS).
    await t.apigateway.send(new FlushStageCacheCommand({ restApiId: apiId, stageName: "prod" }));
    assert.deepEqual(await reached(1), ["/v2/items"]);
    assert.equal((await apply("--dry-run")).code, 0);
  });

  test("a canary the file does not declare, made outside apply, is removed and the base keeps its deployment", async () => {
    const base = (await getStage()).deploymentId;
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "prod",
        description: "by hand",
        canarySettings: { percentTraffic: 50 },
      }),
    );
    assert.ok((await getStage()).canarySettings);
    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.doesNotMatch(run.stdout, /promoted/);
    const stage = await getStage();
    assert.equal(stage.canarySettings, undefined);
    assert.equal(stage.deploymentId, base);
  });

  test("cache settings the file states are enforced; methods it does not list keep theirs", async () => {
    write(`
        cache:
          enabled: false
          methods:
            "*/*": { ttlInSeconds: 30 }`);
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 2, dry.stderr + dry.stdout);
    assert.match(dry.stdout, /cache\.enabled: true → false/);
    assert.match(dry.stdout, /cache\.methods\.\*\/\*\.ttlInSeconds: 60 → 30/);
    assert.equal((await apply()).code, 0);
    const stage = await getStage();
    assert.equal(stage.cacheClusterEnabled, false);
    assert.equal(stage.methodSettings?.["*/*"]?.cacheTtlInSeconds, 30);
    assert.equal(stage.methodSettings?.["*/*"]?.cachingEnabled, true);
    assert.equal(stage.methodSettings?.["~1items/GET"]?.cacheTtlInSeconds, 120);
    // With the cache cluster off, nothing is cached.
    assert.deepEqual(await reached(2), ["/v2/items", "/v2/items"]);
  });

  test("a changed OpenAPI file and a new canary block in one apply: the document becomes the canary", async () => {
    const base = (await getStage()).deploymentId;
    writeFileSync(join(dir, "shop.json"), document("v3"));
    write(`
        canary: { percentTraffic: 100 }`);
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 2, dry.stderr + dry.stdout);
    assert.match(
      dry.stdout,
      /~ update stage shop\/prod\n\s+canary\.deployment: \(none\) → \(new: the OpenAPI file changed\)\n\s+canary\.percentTraffic: \(none\) → 100\n/,
    );
    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const stage = await getStage();
    assert.equal(stage.deploymentId, base);
    assert.notEqual(stage.canarySettings?.deploymentId, base);
    assert.equal(stage.canarySettings?.percentTraffic, 100);
    assert.deepEqual(await reached(2), ["/v3/items", "/v3/items"]);
    assert.equal((await apply("--dry-run")).code, 0);
  });

  test("bad cache and canary values are refused, naming each path in the file, and nothing changes", async () => {
    write(`
        cache:
          enabled: yes please
          size: 2
          methods:
            "*/GET": { enabled: true }
            "/items/GET": { ttlInSeconds: 4000, dataEncrypted: "no" }
        canary:
          percentTraffic: 150
          stageVariableOverrides: { upstream: "not a host" }
          deployment: abc123`);
    const revision = await t.tollgate.store.revision();
    const before = await getStage();
    const run = await apply();
    assert.equal(run.code, 1, run.stdout);
    const at = "apis[0].stages[0]";
    for (const path of [
      "cache.enabled",
      "cache.size",
      "cache.methods.*/GET",
      "cache.methods./items/GET.ttlInSeconds",
      "cache.methods./items/GET.dataEncrypted",
      "canary.percentTraffic",
      "canary.stageVariableOverrides.upstream",
      "canary",
    ]) {
      assert.ok(run.stderr.includes(`- ${at}.${path}`), `${path} is named in:\n${run.stderr}`);
    }
    assert.match(run.stderr, /cache\.size: expected one of 0\.5, 1\.6, 6\.1, 13\.5, 28\.4, 58\.2, 118, 237/);
    assert.match(
      run.stderr,
      /cache\.methods\.\*\/GET: bad key: expected '\*\/\*' or '<resource path>\/<HTTP method>'/,
    );
    assert.match(run.stderr, /canary: Unrecognized key: "deployment"/);
    assert.equal(await t.tollgate.store.revision(), revision);
    assert.deepEqual(await getStage(), before);
  });
});
