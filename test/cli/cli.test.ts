import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  GetStageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  ImportRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { runCli } from "../helpers/process.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A mock-integration OpenAPI document with a GET on each path, every method keyed. */
function openapi(paths: string[]): string {
  const get = {
    security: [{ api_key: [] }],
    responses: { "200": { description: "ok" } },
    "x-amazon-apigateway-integration": {
      type: "mock",
      requestTemplates: { "application/json": '{"statusCode": 200}' },
      responses: { default: { statusCode: "200" } },
    },
  };
  return JSON.stringify({
    openapi: "3.0.3",
    info: { title: "replaced by the config's name", version: "1" },
    paths: Object.fromEntries(paths.map((p) => [p, { get }])),
    components: { securitySchemes: { api_key: { type: "apiKey", name: "x-api-key", in: "header" } } },
  });
}

/** The config the apply tests start from; `edit` changes its text. */
function config(edit: (text: string) => string = (text) => text): string {
  return edit(`
apis:
  - name: shop
    openapi: shop.json
    stages:
      - name: dev
        description: Development
        variables: { color: blue }
        throttle:
          "*/*": { rateLimit: 100, burstLimit: 50 }
          "/items/GET": { rateLimit: 20, burstLimit: 10 }
usagePlans:
  - name: Basic
    throttle: { rateLimit: 10, burstLimit: 5 }
    quota: { limit: 1000, period: DAY }
    apiStages:
      - api: shop
        stage: dev
        throttle:
          "/items/GET": { rateLimit: 2, burstLimit: 1 }
  - name: Pro
    throttle: { rateLimit: 100, burstLimit: 50 }
    quota: { limit: 100000, period: MONTH }
    apiStages:
      - { api: shop, stage: dev }
tenants:
  - name: acme
    description: Acme Corp
    keys:
      - { name: acme-main, plan: Pro, value: "\${ACME_KEY}" }
      - { name: acme-test, plan: Basic }
`);
}

const ACME_KEY = "acme-key-value-0123456789abcdef";

for (const dialect of DIALECTS) {
  describe(`${dialect}: tollgate apply`, () => {
    let t: TestTollgate;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
    const apply = (...args: string[]) => runCli(["apply", "-f", join(dir, "tollgate.yaml"), ...args], env);

    before(async () => {
      t = await startTestTollgate({ dialect });
      dir = mkdtempSync(join(tmpdir(), "tollgate-apply-"));
      env = {
        TOLLGATE_ENDPOINT: t.tollgate.adminUrl,
        TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken,
        ACME_KEY,
      };
      write("shop.json", openapi(["/items"]));
      write("tollgate.yaml", config());
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test("apply creates the APIs, stages, plans, tenants and keys of the file", async () => {
      const run = await apply("--json");
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.deepEqual(
        out.changes.map(
          (c: { action: string; kind: string; name: string }) => `${c.action} ${c.kind} ${c.name}`,
        ),
        [
          "create api shop",
          "create stage shop/dev",
          "create usage plan Basic",
          "create usage plan Pro",
          "create tenant acme",
          "create api key acme/acme-main",
          "create api key acme/acme-test",
        ],
      );

      const api = (await t.admin("GET", "/restapis")).body.item.find(
        (a: { name: string }) => a.name === "shop",
      );
      assert.match(api.tags["tollgate:source-sha256"], /^[0-9a-f]{64}$/);
      const stage = await t.apigateway.send(new GetStageCommand({ restApiId: api.id, stageName: "dev" }));
      assert.equal(stage.description, "Development");
      assert.deepEqual(stage.variables, { color: "blue" });
      const settings = Object.values(stage.methodSettings ?? {}).map((s) => [
        s.throttlingRateLimit,
        s.throttlingBurstLimit,
      ]);
      assert.deepEqual(settings.sort(), [
        [100, 50],
        [20, 10],
      ]);

      const plans = (await t.apigateway.send(new GetUsagePlansCommand({}))).items ?? [];
      const basic = plans.find((p) => p.name === "Basic")!;
      const pro = plans.find((p) => p.name === "Pro")!;
      assert.deepEqual(basic.throttle, { rateLimit: 10, burstLimit: 5 });
      assert.deepEqual(basic.quota, { limit: 1000, period: "DAY", offset: 0 });
      assert.deepEqual(basic.apiStages, [
        { apiId: api.id, stage: "dev", throttle: { "/items/GET": { rateLimit: 2, burstLimit: 1 } } },
      ]);
      assert.deepEqual(pro.quota, { limit: 100000, period: "MONTH", offset: 0 });

      const tenant = (await t.admin("GET", "/tenants")).body.item.find(
        (x: { name: string }) => x.name === "acme",
      );
      assert.equal(tenant.description, "Acme Corp");
      const keys = (await t.admin("GET", "/apikeys?includeValues=true")).body.item;
      const main = keys.find((k: { name: string }) => k.name === "acme-main");
      const test = keys.find((k: { name: string }) => k.name === "acme-test");
      assert.equal(main.value, ACME_KEY);
      assert.equal(main.customerId, tenant.id);
      assert.equal(main.enabled, true);
      const onPro = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: pro.id }));
      const onBasic = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: basic.id }));
      assert.deepEqual(
        onPro.items?.map((k) => k.id),
        [main.id],
      );
      assert.deepEqual(
        onBasic.items?.map((k) => k.id),
        [test.id],
      );
      // The generated value is printed once; the supplied one is not echoed.
      assert.deepEqual(
        out.createdKeys.map((k: { name: string; value?: string }) => [k.name, k.value]),
        [
          ["acme-main", undefined],
          ["acme-test", test.value],
        ],
      );
    });

    test("a second apply prints No changes and writes nothing", async () => {
      const before = await t.tollgate.store.revision();
      const run = await apply();
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /No changes/);
      assert.equal(await t.tollgate.store.revision(), before);
    });

    test("--dry-run with a change prints the diff, exits 2 and writes nothing; apply then makes it", async () => {
      write(
        "tollgate.yaml",
        config((text) => text.replace("limit: 1000, period: DAY", "limit: 2000, period: DAY")),
      );
      const before = await t.tollgate.store.revision();
      const dry = await apply("--dry-run");
      assert.equal(dry.code, 2, dry.stderr);
      assert.match(dry.stdout, /~ update usage plan Basic\n\s+quota\.limit: 1000 → 2000/);
      assert.match(dry.stdout, /Plan: 1 to update\./);
      assert.equal(await t.tollgate.store.revision(), before);

      const run = await apply();
      assert.equal(run.code, 0, run.stderr);
      const plans = (await t.apigateway.send(new GetUsagePlansCommand({}))).items ?? [];
      assert.equal(plans.find((p) => p.name === "Basic")?.quota?.limit, 2000);
      assert.equal((await apply("--dry-run")).code, 0);
    });

    test("stated fields are enforced: variables, method and plan throttles, a key's plan and state", async () => {
      write(
        "tollgate.yaml",
        config((text) =>
          text
            .replace("limit: 1000, period: DAY", "limit: 2000, period: DAY")
            .replace("variables: { color: blue }", "variables: { size: large }")
            .replace(
              '"/items/GET": { rateLimit: 20, burstLimit: 10 }',
              '"/items/GET": { rateLimit: 30, burstLimit: 10 }',
            )
            .replace(
              '"/items/GET": { rateLimit: 2, burstLimit: 1 }',
              '"/items/GET": { rateLimit: 3, burstLimit: 1 }',
            )
            .replace("{ name: acme-test, plan: Basic }", "{ name: acme-test, plan: Pro, enabled: false }"),
        ),
      );
      const run = await apply("--json");
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).applied, 3);
      const api = (await t.admin("GET", "/restapis")).body.item.find(
        (a: { name: string }) => a.name === "shop",
      );
      const stage = (await t.admin("GET", `/restapis/${api.id}/stages/dev`)).body;
      assert.deepEqual(stage.variables, { size: "large" });
      assert.ok(
        Object.values(stage.methodSettings).some(
          (s) => (s as { throttlingRateLimit?: number }).throttlingRateLimit === 30,
        ),
      );
      const plans = (await t.admin("GET", "/usageplans")).body.item;
      const basic = plans.find((p: { name: string }) => p.name === "Basic");
      const pro = plans.find((p: { name: string }) => p.name === "Pro");
      assert.equal(basic.apiStages[0].throttle["/items/GET"].rateLimit, 3);
      const key = (await t.admin("GET", "/apikeys")).body.item.find(
        (k: { name: string }) => k.name === "acme-test",
      );
      assert.equal(key.enabled, false);
      assert.deepEqual(
        (await t.admin("GET", `/usageplans/${basic.id}/keys`)).body.item.map((k: { id: string }) => k.id),
        [],
      );
      assert.ok(
        (await t.admin("GET", `/usageplans/${pro.id}/keys`)).body.item.some(
          (k: { id: string }) => k.id === key.id,
        ),
      );
      assert.match((await apply()).stdout, /No changes/);
    });

    test("a changed OpenAPI file is imported again and redeployed to its stages", async () => {
      const api = (await t.admin("GET", "/restapis")).body.item.find(
        (a: { name: string }) => a.name === "shop",
      );
      const deployed = (await t.admin("GET", `/restapis/${api.id}/stages/dev`)).body.deploymentId;
      write("shop.json", openapi(["/items", "/orders"]));
      const dry = await apply("--dry-run");
      assert.equal(dry.code, 2);
      assert.match(dry.stdout, /~ update api shop\n\s+openapi sha256: [0-9a-f]{12} → [0-9a-f]{12}/);
      assert.match(dry.stdout, /~ update stage shop\/dev\n\s+deployment: /);

      const run = await apply();
      assert.equal(run.code, 0, run.stderr);
      const paths = (await t.admin("GET", `/restapis/${api.id}/resources`)).body.item.map(
        (r: { path: string }) => r.path,
      );
      assert.ok(paths.includes("/orders"), `resources: ${paths}`);
      const stage = (await t.admin("GET", `/restapis/${api.id}/stages/dev`)).body;
      assert.notEqual(stage.deploymentId, deployed);
      assert.match((await apply()).stdout, /No changes/);
    });

    test("a bad config exits 1 naming the file and field, and writes nothing", async () => {
      const before = await t.tollgate.store.revision();
      write(
        "tollgate.yaml",
        config((text) => text.replace("rateLimit: 10, burstLimit: 5", 'rateLimit: "ten", burstLimit: 5')),
      );
      const wrongType = await apply();
      assert.equal(wrongType.code, 1);
      assert.match(wrongType.stderr, /tollgate\.yaml/);
      assert.match(wrongType.stderr, /usagePlans\[0\]\.throttle\.rateLimit: .*expected number/);

      write(
        "tollgate.yaml",
        config((text) => text.replace("plan: Basic }", "plan: Gold }")),
      );
      const unknownPlan = await apply();
      assert.equal(unknownPlan.code, 1);
      assert.match(unknownPlan.stderr, /tenants\[0\]\.keys\[1\]\.plan: unknown usage plan 'Gold'/);

      const noEnv = await runCli(["apply", "-f", join(dir, "tollgate.yaml")], { ...env, ACME_KEY: "" });
      assert.equal(noEnv.code, 1);
      assert.match(noEnv.stderr, /tenants\[0\]\.keys\[0\]\.value: environment variable ACME_KEY is not set/);
      assert.equal(await t.tollgate.store.revision(), before);
    });

    test("what the file does not name is left alone and listed, and deleted with --prune", async () => {
      write("shop.json", openapi(["/items"]));
      write("tollgate.yaml", config());
      const synced = await apply();
      assert.equal(synced.code, 0, synced.stderr);
      const shop = (await t.admin("GET", "/restapis")).body.item.find(
        (a: { name: string }) => a.name === "shop",
      );
      await t.admin("POST", `/restapis/${shop.id}/deployments`, { stageName: "old" });
      const stray = await t.apigateway.send(
        new ImportRestApiCommand({ body: new TextEncoder().encode(openapi(["/x"])) }),
      );
      await t.admin("POST", `/restapis/${stray.id}/deployments`, { stageName: "live" });
      await t.admin("POST", "/usageplans", {
        name: "Stray",
        apiStages: [{ apiId: stray.id, stage: "live" }],
      });
      await t.admin("POST", "/tenants", { name: "stray" });

      const kept = await apply();
      assert.equal(kept.code, 0, kept.stderr);
      assert.match(kept.stdout, /No changes/);
      assert.match(
        kept.stdout,
        /left alone \(--prune deletes them\): usage plan Stray, tenant stray, stage shop\/old, api /,
      );
      assert.ok(
        (await t.admin("GET", "/tenants")).body.item.some((x: { name: string }) => x.name === "stray"),
      );

      const pruned = await apply("--prune");
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stdout, /Plan: 4 to delete\./);
      const names = async (path: string) =>
        (await t.admin("GET", path)).body.item.map(
          (x: { name?: string; stageName?: string }) => x.name ?? x.stageName,
        );
      assert.deepEqual(await names("/restapis"), ["shop"]);
      assert.deepEqual(await names(`/restapis/${shop.id}/stages`), ["dev"]);
      assert.deepEqual((await names("/usageplans")).sort(), ["Basic", "Pro"]);
      assert.deepEqual(await names("/tenants"), ["acme"]);
      assert.match((await apply("--prune")).stdout, /No changes/);
    });
  });
}

// The client commands only talk to the admin API: the store's dialect does not reach them, so
// they run once (the apply suite above runs on both).
{
  const dialect = "sqlite";
  describe(`${dialect}: tollgate client commands`, () => {
    let t: TestTollgate;
    let env: NodeJS.ProcessEnv;
    const run = async (...args: string[]) => {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, result.stderr);
      return result;
    };
    const json = async (...args: string[]) => JSON.parse((await run(...args, "--json")).stdout);

    before(async () => {
      t = await startTestTollgate({ dialect });
      env = {
        TOLLGATE_ENDPOINT: t.tollgate.adminUrl,
        TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken,
      };
    });
    after(() => t.close());

    test("apis import, list and export; stages deploy and list", async () => {
      const dir = mkdtempSync(join(tmpdir(), "tollgate-cli-"));
      writeFileSync(join(dir, "api.json"), openapi(["/things"]));
      const api = await json("apis", "import", join(dir, "api.json"));
      assert.equal(api.name, "replaced by the config's name");
      assert.deepEqual(
        (await json("apis", "list")).map((a: { id: string }) => a.id),
        [api.id],
      );
      const deployment = await json("stages", "deploy", api.id, "beta");
      assert.match(deployment.id, /^[a-z0-9]{10}$/);
      const stages = await json("stages", "list", api.id);
      assert.deepEqual(
        stages.map((s: { stageName: string; deploymentId: string }) => [s.stageName, s.deploymentId]),
        [["beta", deployment.id]],
      );
      const exported = await run("apis", "export", api.id, "beta", "--yaml");
      assert.match(exported.stdout, /^openapi: 3/m);
      assert.match(exported.stdout, /\/things:/);
      const table = await run("apis", "list");
      assert.match(table.stdout, new RegExp(`│ ${api.id} │`));
      rmSync(dir, { recursive: true, force: true });
    });

    test("tenants, plans and keys: a created key is enabled, on its plan, and shown with its value", async () => {
      const api = await t.apigateway.send(
        new ImportRestApiCommand({ body: new TextEncoder().encode(openapi(["/a"])) }),
      );
      const apiId = api.id!;
      await run("stages", "deploy", apiId, "live");
      const tenant = await json("tenants", "create", "globex", "--description", "Globex");
      assert.equal(tenant.name, "globex");
      const plan = await json(
        "plans",
        "create",
        "--name",
        "Gold",
        "--rate",
        "5.5",
        "--burst",
        "3",
        "--quota",
        "100",
        "--period",
        "WEEK",
        "--api",
        `${apiId}:live`,
      );
      assert.deepEqual(plan.throttle, { rateLimit: 5.5, burstLimit: 3 });
      assert.deepEqual(plan.quota, { limit: 100, period: "WEEK", offset: 0 });
      assert.deepEqual(plan.apiStages, [{ apiId, stage: "live" }]);
      assert.deepEqual(
        (await json("plans", "list")).map((p: { name: string }) => p.name),
        ["Gold"],
      );
      assert.deepEqual(
        (await json("tenants", "list")).map((x: { name: string }) => x.name),
        ["globex"],
      );

      const key = await json("keys", "create", "--tenant", "globex", "--plan", "Gold");
      assert.equal(key.enabled, true);
      assert.equal(key.customerId, tenant.id);
      assert.equal(key.usagePlanId, plan.id);
      assert.match(key.value, /^[A-Za-z0-9]{40}$/);
      const onPlan = await t.apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }));
      assert.deepEqual(
        onPlan.items?.map((k) => k.id),
        [key.id],
      );
      const listed = await json("keys", "list");
      assert.deepEqual(
        listed.map((k: { id: string; value?: string }) => [k.id, k.value]),
        [[key.id, undefined]],
      );
      const disabled = await json("keys", "disable", key.id);
      assert.equal(disabled.enabled, false);
    });

    test("errors print the server's message and exit 1", async () => {
      await run("tenants", "create", "twice");
      const again = await runCli(["tenants", "create", "twice"], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^Error: A tenant named 'twice' already exists \[ConflictException\]/);

      const badToken = await runCli(["tenants", "list"], { ...env, TOLLGATE_ADMIN_TOKEN: "wrong" });
      assert.equal(badToken.code, 1);
      assert.match(badToken.stderr, /bearer token .* is invalid/);

      const unknownPlan = await runCli(["keys", "create", "--tenant", "twice", "--plan", "Nope"], env);
      assert.equal(unknownPlan.code, 1);
      assert.match(unknownPlan.stderr, /No usage plan has the id or name 'Nope'/);

      const down = await runCli(["apis", "list"], { ...env, TOLLGATE_ENDPOINT: "http://127.0.0.1:9" });
      assert.equal(down.code, 1);
      assert.match(down.stderr, /Cannot reach the admin API at http:\/\/127\.0\.0\.1:9/);
    });
  });
}

describe("tollgate serve", () => {
  /** Starts `tollgate serve` on free ports and resolves with its banner once it is up. */
  function serve(dataDir: string) {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "serve",
        "--data-dir",
        dataDir,
        "--admin-port",
        "0",
        "--gateway-port",
        "0",
        "--portal-port",
        "0",
        "--no-quickstart",
      ],
      { cwd: ROOT, env: { ...process.env, TOLLGATE_ACCESS_LOG: "off" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
      const poll = setInterval(() => {
        if (/Admin credentials/.test(out) && /\n$/.test(out)) {
          clearInterval(poll);
          resolve(out);
        }
        if (child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`serve exited early: ${out}`));
        }
      }, 50);
    });
    return { child, ready, exited };
  }

  test("first start prints the credentials and working AWS CLI and curl lines; SIGTERM exits 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tollgate-serve-"));
    try {
      const first = serve(dataDir);
      const banner = await first.ready;
      const token = /Admin token\s+(\S+)/.exec(banner)?.[1];
      assert.ok(token, banner);
      assert.match(banner, /Secret access key\s+\S+/);
      assert.match(banner, /aws configure set aws_secret_access_key \S+ --profile tollgate/);
      assert.match(
        banner,
        /aws apigateway get-rest-apis --endpoint-url http:\/\/127\.0\.0\.1:\d+ --profile tollgate/,
      );
      const curl = /curl -s -H "Authorization: Bearer (\S+)" (\S+)/.exec(banner);
      assert.ok(curl, banner);
      const response = await fetch(curl[2]!, { headers: { authorization: `Bearer ${curl[1]}` } });
      assert.equal(response.status, 200);
      first.child.kill("SIGTERM");
      assert.equal(await first.exited, 0);

      const second = serve(dataDir);
      const again = await second.ready;
      assert.match(again, /Admin credentials: .*credentials\.json/);
      assert.doesNotMatch(again, /Secret access key/);
      assert.ok(!again.includes(token));
      second.child.kill("SIGINT");
      assert.equal(await second.exited, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
