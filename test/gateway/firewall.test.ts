import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { redisSkip, startRedis, type TestRedis } from "../counters/helpers/redis-server.js";
import {
  call,
  deployEchoApi,
  echoApiWorld,
  gatewayCaughtUp,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

const patch = (...patchOperations: Array<{ op: string; path: string; value?: string }>) => ({
  patchOperations,
});

describe("gateway: the firewall's rules and IP sets", () => {
  const w = echoApiWorld();
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  let key: string;

  async function created(path: string, body: unknown) {
    const r = await t.admin("POST", path, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  before(async () => {
    ({ t, upstream, apiId } = w);
    key = (await planWithKey(t, apiId)).key;
    await gatewayCaughtUp(t);
  });

  test("a BLOCK rule on an IP set refuses everything from it before routing; an earlier ALLOW rule lets some through", async () => {
    const loopback = await created("/firewall/ipsets", {
      name: "loopback",
      addresses: ["127.0.0.0/8", "::1"],
    });
    const block = await created("/firewall/rules", {
      name: "block-loopback",
      priority: 20,
      action: "BLOCK",
      ipSetIds: [loopback.id],
    });
    await gatewayCaughtUp(t);
    const before = upstream.count();
    for (const path of ["/dev/public", "/dev/pets", "/nowhere/at/all"]) {
      const r = await call(t, path, { key });
      assert.deepEqual(
        [r.status, r.body],
        [403, { message: "Forbidden: blocked by the gateway's firewall (rule 'block-loopback')" }],
        path,
      );
    }
    assert.equal(upstream.count(), before);

    const allow = await created("/firewall/rules", {
      name: "internal-tools",
      priority: 10,
      action: "ALLOW",
      headerPatterns: [{ name: "X-Internal", pattern: "^yes$" }],
    });
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/public", { headers: { "x-internal": "yes" } })).status, 200);
    assert.equal((await call(t, "/dev/public", { headers: { "x-internal": "no" } })).status, 403);

    // Disabling the block lets everyone through; deleting the rules leaves the IP set unused.
    await t.admin(
      "PATCH",
      `/firewall/rules/${block.id}`,
      patch({ op: "replace", path: "/enabled", value: "false" }),
    );
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/public")).status, 200);
    assert.equal(
      (await t.admin("DELETE", `/firewall/ipsets/${loopback.id}`)).status,
      409,
      "the disabled rule still uses it",
    );
    await t.admin("DELETE", `/firewall/rules/${block.id}`);
    await t.admin("DELETE", `/firewall/rules/${allow.id}`);
    assert.equal((await t.admin("DELETE", `/firewall/ipsets/${loopback.id}`)).status, 202);
  });

  test("path, method and header patterns block what they match and nothing else", async () => {
    const rules = [
      await created("/firewall/rules", {
        name: "no-php",
        priority: 1,
        action: "BLOCK",
        pathPatterns: ["\\.php$", "^/[^/]+/wp-admin"],
      }),
      await created("/firewall/rules", {
        name: "no-scanners",
        priority: 2,
        action: "BLOCK",
        headerPatterns: [{ name: "user-agent", pattern: "sqlmap|nikto" }],
      }),
      await created("/firewall/rules", {
        name: "read-only-files",
        priority: 3,
        action: "BLOCK",
        methods: ["DELETE"],
        pathPatterns: ["^/dev/files/"],
      }),
    ];
    await gatewayCaughtUp(t);
    const blocked = [
      await call(t, "/dev/index.php"),
      await call(t, "/dev/wp-admin/setup"),
      await call(t, "/dev/public", { headers: { "user-agent": "sqlmap/1.7" } }),
      await call(t, "/dev/files/a.txt", { key, method: "DELETE" }),
    ];
    assert.deepEqual(
      blocked.map((r) => r.body.message),
      [
        "Forbidden: blocked by the gateway's firewall (rule 'no-php')",
        "Forbidden: blocked by the gateway's firewall (rule 'no-php')",
        "Forbidden: blocked by the gateway's firewall (rule 'no-scanners')",
        "Forbidden: blocked by the gateway's firewall (rule 'read-only-files')",
      ],
    );
    assert.equal((await call(t, "/dev/public", { headers: { "user-agent": "curl/8" } })).status, 200);
    assert.equal((await call(t, "/dev/files/a.txt", { key, method: "PUT", body: "x" })).status, 200);
    for (const rule of rules) await t.admin("DELETE", `/firewall/rules/${rule.id}`);
  });

  test("bad firewall input is a 400 (or 409) that changes nothing", async () => {
    const set = await created("/firewall/ipsets", { name: "office", addresses: ["203.0.113.0/24"] });
    const bad: Array<[string, unknown]> = [
      ["/firewall/ipsets", { name: "bad", addresses: ["10.0.0.0/33"] }],
      ["/firewall/ipsets", { name: "bad", addresses: ["not-an-ip"] }],
      ["/firewall/ipsets", { name: "has space", addresses: [] }],
      ["/firewall/rules", { name: "bad", priority: 1, action: "BLOCK", pathPatterns: ["(unclosed"] }],
      ["/firewall/rules", { name: "bad", priority: 1, action: "BLOCK", pathPatterns: ["^/(a+)+$"] }],
      [
        "/firewall/rules",
        {
          name: "bad",
          priority: 1,
          action: "BLOCK",
          headerPatterns: [{ name: "user-agent", pattern: "(x*)*y" }],
        },
      ],
      ["/firewall/rules", { name: "bad", priority: 1, action: "BLOCK", ipSetIds: ["nosuchset"] }],
      ["/firewall/rules", { name: "bad", priority: 1, action: "BLOCK" }],
      ["/firewall/rules", { name: "bad", priority: 1, action: "DROP", methods: ["GET"] }],
      ["/firewall/rules", { name: "bad", priority: -1, action: "BLOCK", methods: ["GET"] }],
      ["/firewall/ipratelimits", { name: "bad", rateLimit: -1, burstLimit: 1 }],
      ["/firewall/ipratelimits", { name: "bad", rateLimit: 1, burstLimit: 1.5 }],
    ];
    for (const [path, body] of bad) {
      const r = await t.admin("POST", path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    }
    const dup = await t.admin("POST", "/firewall/ipsets", { name: "office", addresses: [] });
    assert.equal(dup.status, 409);
    const patched = await t.admin(
      "PATCH",
      `/firewall/ipsets/${set.id}`,
      patch({ op: "add", path: "/addresses", value: "300.1.1.1" }),
    );
    assert.equal(patched.status, 400);
    assert.deepEqual((await t.admin("GET", `/firewall/ipsets/${set.id}`)).body.addresses, ["203.0.113.0/24"]);
    assert.deepEqual((await t.admin("GET", "/firewall/rules")).body.item, []);
    assert.deepEqual((await t.admin("GET", "/firewall/ipratelimits")).body.item, []);
    assert.deepEqual(
      (await t.admin("GET", "/firewall/ipsets")).body.item.map((s: { name: string }) => s.name),
      ["office"],
    );
  });
});

describe("gateway: IP rate limits for requests without a key", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const w = echoApiWorld({ clock });
  let t: TestTollgate;
  let apiId: string;
  before(() => {
    ({ t, apiId } = w);
  });

  test("each address gets a bucket on key-less routes; keyed requests pass their plan's buckets only", async () => {
    const limit = await t.admin("POST", "/firewall/ipratelimits", {
      name: "anonymous",
      restApiId: apiId,
      stage: "dev",
      rateLimit: 1,
      burstLimit: 3,
    });
    assert.equal(limit.status, 201, JSON.stringify(limit.body));
    const tenant = await planWithKey(t, apiId);
    await gatewayCaughtUp(t);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(t, "/dev/public")).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const denied = await call(t, "/dev/public");
    assert.deepEqual(denied.body, { message: "Too Many Requests" });
    assert.equal(denied.headers.get("retry-after"), "1");
    for (let i = 0; i < 5; i++) assert.equal((await call(t, "/dev/pets", { key: tenant.key })).status, 200);
    clock.advance(1000);
    assert.deepEqual(
      [(await call(t, "/dev/public")).status, (await call(t, "/dev/public")).status],
      [200, 429],
    );
    await t.admin("DELETE", `/firewall/ipratelimits/${limit.body.id}`);
    await gatewayCaughtUp(t);
    assert.equal((await call(t, "/dev/public")).status, 200);
  });
});

describe("gateway: IP rate limits are exact on Redis", { skip: redisSkip }, () => {
  let redis: TestRedis;
  let t: TestTollgate;
  let upstream: Upstream;

  before(async () => {
    redis = await startRedis();
    upstream = await startUpstream();
    t = await startTestTollgate({
      env: {
        TOLLGATE_REDIS_URL: redis.url,
        TOLLGATE_ACCOUNT_RATE_LIMIT: "100000",
        TOLLGATE_ACCOUNT_BURST_LIMIT: "100000",
      },
    });
    await deployEchoApi(t, upstream.url);
  });
  after(async () => {
    await t.close();
    await upstream.close();
    await redis.stop();
  });

  test("a burst of 20 admits exactly 20 of 60 concurrent key-less requests", async () => {
    await t.admin("POST", "/firewall/ipratelimits", { name: "all-apis", rateLimit: 0, burstLimit: 20 });
    await gatewayCaughtUp(t);
    const results = await Promise.all(Array.from({ length: 60 }, () => call(t, "/dev/public")));
    const admitted = results.filter((r) => r.status === 200).length;
    assert.equal(admitted, 20);
    assert.equal(results.filter((r) => r.status === 429).length, 40);
  });
});

describe("gateway: IP rate limits behind a trusted proxy", () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const w = echoApiWorld({ clock, env: { TOLLGATE_TRUSTED_PROXIES: "127.0.0.1" } });
  let t: TestTollgate;

  before(async () => {
    t = w.t;
    const limit = await t.admin("POST", "/firewall/ipratelimits", {
      name: "anonymous",
      restApiId: w.apiId,
      stage: "dev",
      rateLimit: 1,
      burstLimit: 2,
    });
    assert.equal(limit.status, 201, JSON.stringify(limit.body));
    await gatewayCaughtUp(t);
  });

  const from = async (ip: string) =>
    (await call(t, "/dev/public", { headers: { "x-forwarded-for": ip } })).status;

  test("an IPv6 client's whole /64 shares one bucket; each IPv4 address has its own", async () => {
    assert.deepEqual(
      [
        await from("2001:db8:1:2::1"),
        await from("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
        await from("2001:db8:0001:0002::ffff"),
      ],
      [200, 200, 429],
    );
    // Another /64 of the same /48 is another subscriber.
    assert.equal(await from("2001:db8:1:3::1"), 200);
    assert.deepEqual(
      [await from("192.0.2.1"), await from("192.0.2.1"), await from("192.0.2.1"), await from("192.0.2.2")],
      [200, 200, 429, 200],
    );
  });
});
