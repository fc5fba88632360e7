import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../helpers/process.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const SHOP = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "shop", version: "1" },
  paths: {
    "/items": {
      get: {
        responses: { "200": { description: "ok" } },
        "x-amazon-apigateway-integration": {
          type: "mock",
          requestTemplates: { "application/json": '{"statusCode": 200}' },
        },
      },
    },
  },
});

const CONFIG = `
apis:
  - name: shop
    openapi: shop.json
    stages:
      - name: dev
tenants:
  - name: acme
    allowedResources: ["shop/dev/GET/items"]
firewall:
  ipSets:
    - name: office
      addresses: [203.0.113.0/24, "2001:db8::/48"]
  rules:
    - name: block-office
      priority: 10
      action: BLOCK
      ipSets: [office]
    - name: no-php
      priority: 20
      action: BLOCK
      pathPatterns: ['\\.php$']
  ipRateLimits:
    - name: anonymous
      api: shop
      stage: dev
      rateLimit: 5
      burstLimit: 10
`;

describe("tollgate apply: the firewall section and tenants' access", () => {
  let t: TestTollgate;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const write = (text: string) => writeFileSync(join(dir, "tollgate.yaml"), text);
  const apply = (...args: string[]) => runCli(["apply", "-f", join(dir, "tollgate.yaml"), ...args], env);

  before(async () => {
    t = await startTestTollgate();
    dir = mkdtempSync(join(tmpdir(), "tollgate-apply-policies-"));
    env = { TOLLGATE_ENDPOINT: t.tollgate.adminUrl, TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken };
    writeFileSync(join(dir, "shop.json"), SHOP);
    write(CONFIG);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("apply creates IP sets, rules, IP rate limits and access lists, with the file's names turned into ids", async () => {
    const run = await apply();
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /\+ create ip set office/);
    assert.match(run.stdout, /\+ create firewall rule block-office/);
    assert.match(run.stdout, /\+ create ip rate limit anonymous/);
    const api = (await t.admin("GET", "/restapis")).body.item[0];
    const sets = (await t.admin("GET", "/firewall/ipsets")).body.item;
    assert.deepEqual(
      sets.map((s: { addresses: string[] }) => s.addresses),
      [["203.0.113.0/24", "2001:db8::/48"]],
    );
    const rules = (await t.admin("GET", "/firewall/rules")).body.item;
    assert.deepEqual(
      rules.map((r: { name: string; ipSetIds?: string[] }) => [r.name, r.ipSetIds]),
      [
        ["block-office", [sets[0].id]],
        ["no-php", undefined],
      ],
    );
    const limits = (await t.admin("GET", "/firewall/ipratelimits")).body.item;
    assert.deepEqual(
      limits.map((l: { restApiId: string; stage: string }) => [l.restApiId, l.stage]),
      [[api.id, "dev"]],
    );
    const tenant = (await t.admin("GET", "/tenants")).body.item[0];
    assert.deepEqual(tenant.allowedResources, [`${api.id}/dev/GET/items`]);
  });

  test("a second apply has no changes", async () => {
    const run = await apply("--dry-run");
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /No changes/);
  });

  test("changes show in the plan and apply; what the firewall section drops is deleted with --prune", async () => {
    write(
      CONFIG.replace("priority: 10", "priority: 5")
        .replace('allowedResources: ["shop/dev/GET/items"]', "blocked: true\n    blockReason: audit")
        .replace(/ {2}ipRateLimits:[\s\S]*$/, ""),
    );
    const dry = await apply("--dry-run");
    assert.equal(dry.code, 2, dry.stderr);
    assert.match(dry.stdout, /~ update firewall rule block-office\n\s+priority: 10 → 5/);
    assert.match(dry.stdout, /~ update tenant acme\n\s+blocked: false → true/);
    assert.match(dry.stdout, /left alone.*ip rate limit anonymous/);
    const run = await apply("--prune");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /- delete ip rate limit anonymous/);
    assert.deepEqual((await t.admin("GET", "/firewall/ipratelimits")).body.item, []);
    const tenant = (await t.admin("GET", "/tenants")).body.item[0];
    assert.equal(tenant.blocked, true);
    assert.equal(tenant.blockReason, "audit");
    assert.equal((await t.admin("GET", "/firewall/rules")).body.item[0].priority, 5);
  });

  test("tollgate tenants block and unblock", async () => {
    const tenant = (await t.admin("GET", "/tenants")).body.item[0];
    const blocked = await runCli(["tenants", "block", tenant.id, "--reason", "fraud review", "--json"], env);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.deepEqual(
      [JSON.parse(blocked.stdout).blocked, JSON.parse(blocked.stdout).blockReason],
      [true, "fraud review"],
    );
    const unblocked = await runCli(["tenants", "unblock", tenant.id], env);
    assert.equal(unblocked.code, 0, unblocked.stderr);
    assert.equal((await t.admin("GET", `/tenants/${tenant.id}`)).body.blocked, false);
  });

  test("a rule naming an IP set the file does not declare is a config error that writes nothing", async () => {
    const before = await t.tollgate.store.revision();
    write(CONFIG.replace("ipSets: [office]", "ipSets: [home]"));
    const run = await apply();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /firewall\.rules\[0\]\.ipSets\[0\]: unknown IP set 'home'/);
    write(CONFIG.replace("203.0.113.0/24", "203.0.113.0/99"));
    const bad = await apply();
    assert.equal(bad.code, 1, "the server refuses the block, naming it");
    assert.match(bad.stderr + bad.stdout, /203\.0\.113\.0\/99/);
    assert.equal(await t.tollgate.store.revision(), before);
  });
});
