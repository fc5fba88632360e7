import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  CreateDeploymentCommand,
  GetRestApiCommand,
  UpdateRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { systemClock } from "../../src/core/clock.js";
import { SecretBox } from "../../src/core/secrets.js";
import { InProcessEngine } from "../../src/counters/index.js";
import { type RunningGateway, startGateway } from "../../src/gateway/index.js";
import { loadSecrets } from "../../src/server/credentials.js";
import {
  call,
  deployEchoApi,
  type GatewayResponse,
  gatewayCaughtUp,
  planWithKey,
} from "../helpers/gateway-fixture.js";
import { rejection } from "../helpers/sdk.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";
import { startUpstream, type Upstream } from "../helpers/upstream.js";

/** A GET to a gateway at `base` (any address family), JSON body parsed. */
function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: new Headers(), body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("gateway: resource policies (aws:SourceIp over IPv4 and IPv6, tenants, keys, explicit deny)", () => {
  let t: TestTollgate;
  let upstream: Upstream;
  let apiId: string;
  /** A second gateway on the same store, listening on IPv6 loopback and dual-stack. */
  let v6: RunningGateway;
  let dual: RunningGateway;
  let alice: { key: string; tenantId: string; keyId: string };
  let bob: { key: string; tenantId: string; keyId: string };

  async function setPolicy(policy: object | string | undefined): Promise<void> {
    await t.apigateway.send(
      new UpdateRestApiCommand({
        restApiId: apiId,
        patchOperations: [
          {
            op: "replace",
            path: "/policy",
            value: typeof policy === "string" ? policy : policy ? JSON.stringify(policy) : "",
          },
        ],
      }),
    );
  }

  async function deploy(): Promise<void> {
    await t.apigateway.send(
      new CreateDeploymentCommand({
        restApiId: apiId,
        stageName: "dev",
        variables: { upstream: new URL(upstream.url).host },
      }),
    );
    await gatewayCaughtUp(t);
    await v6.gateway.reloadIfChanged();
    await dual.gateway.reloadIfChanged();
  }

  const allowFrom = (...cidrs: string[]) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: "*",
        Action: "execute-api:Invoke",
        Resource: "execute-api:/*",
        Condition: { IpAddress: { "aws:SourceIp": cidrs } },
      },
    ],
  });

  before(async () => {
    upstream = await startUpstream();
    t = await startTestTollgate({
      env: { TOLLGATE_ACCOUNT_RATE_LIMIT: "100000", TOLLGATE_ACCOUNT_BURST_LIMIT: "100000" },
    });
    apiId = await deployEchoApi(t, upstream.url);
    alice = await planWithKey(t, apiId);
    bob = await planWithKey(t, apiId);
    const options = {
      store: t.tollgate.store,
      engine: new InProcessEngine(),
      ledger: t.tollgate.ledger,
      secrets: new SecretBox(loadSecrets(t.dataDir).serverSecret),
      clock: systemClock,
      accountThrottle: { rate: 100000, burst: 100000 },
    };
    v6 = await startGateway(options, { host: "::1", port: 0 });
    dual = await startGateway({ ...options, engine: new InProcessEngine() }, { host: "::", port: 0 });
    await gatewayCaughtUp(t);
  });
  after(async () => {
    await Promise.all([v6.close(), dual.close()]);
    await t.close();
    await upstream.close();
  });

  const v6Url = () => `http://[::1]:${v6.port}`;
  const dualUrl = () => `http://127.0.0.1:${dual.port}`;
  const denial = (path: string, explicit: boolean) => ({
    Message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:${apiId}/dev/GET${path}${explicit ? " with an explicit deny" : ""}`,
  });

  test("an IPv4 range: callers inside it pass, others get AWS's 403 (no allow matches: an implicit deny)", async () => {
    await setPolicy(allowFrom("127.0.0.0/8"));
    await deploy();
    assert.equal((await call(t, "/dev/public")).status, 200);
    assert.equal(
      (await get(dualUrl(), "/dev/public")).status,
      200,
      "an IPv4-mapped address on a dual-stack socket is in the IPv4 range",
    );
    const v6Caller = await get(v6Url(), "/dev/public");
    assert.deepEqual([v6Caller.status, v6Caller.body], [403, denial("/public", false)]);

    await setPolicy(allowFrom("10.0.0.0/8", "192.168.1.7"));
    await deploy();
    const before = upstream.count();
    const r = await call(t, "/dev/public");
    assert.deepEqual([r.status, r.body], [403, denial("/public", false)]);
    assert.equal(r.headers.get("x-amzn-errortype"), "AccessDeniedException");
    assert.equal(upstream.count(), before);
  });

  test("an IPv6 range: ::1 and 2001:db8::/32 blocks, over a real IPv6 connection", async () => {
    await setPolicy(allowFrom("::1/128"));
    await deploy();
    assert.equal((await get(v6Url(), "/dev/public")).status, 200);
    assert.equal((await call(t, "/dev/public")).status, 403, "IPv4 callers are outside an IPv6 block");

    await setPolicy({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*",
          Condition: { NotIpAddress: { "aws:SourceIp": ["2001:db8::/32", "127.0.0.1"] } },
        },
      ],
    });
    await deploy();
    assert.equal((await call(t, "/dev/public")).status, 200);
    const outside = await get(v6Url(), "/dev/public");
    assert.deepEqual([outside.status, outside.body], [403, denial("/public", true)]);
  });

  test("an explicit deny wins over an allow, by method and path with wildcards", async () => {
    await setPolicy({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "execute-api:Invoke",
          Resource: [`arn:aws:execute-api:*:*:${apiId}/*`],
        },
        { Effect: "Deny", Principal: "*", Action: "execute-api:*", Resource: "execute-api:/*/GET/pets/*" },
        { Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/dev/POST/*" },
      ],
    });
    await deploy();
    assert.equal((await call(t, "/dev/pets", { key: alice.key })).status, 200);
    const one = await call(t, "/dev/pets/1", { key: alice.key });
    assert.deepEqual([one.status, one.body], [403, denial("/pets/1", true)]);
    const post = await call(t, "/dev/pets", { key: alice.key, method: "POST", body: "{}" });
    assert.equal(post.status, 403);
    assert.match(post.body.Message, /dev\/POST\/pets with an explicit deny$/);
  });

  test("conditions on the tenant and the API key the gateway identified", async () => {
    await setPolicy({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*" },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*/*/pets",
          Condition: { StringEquals: { "tollgate:TenantId": alice.tenantId } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "execute-api:Invoke",
          Resource: "execute-api:/*/*/pets/*",
          Condition: { StringNotLike: { "tollgate:ApiKeyId": [alice.keyId] } },
        },
      ],
    });
    await deploy();
    assert.equal((await call(t, "/dev/pets", { key: alice.key })).status, 403);
    assert.equal((await call(t, "/dev/pets", { key: bob.key })).status, 200);
    assert.equal((await call(t, "/dev/pets/2", { key: alice.key })).status, 200);
    assert.equal((await call(t, "/dev/pets/2", { key: bob.key })).status, 403);
  });

  test("a changed policy applies once deployed, as on AWS; removing it lets every caller through again", async () => {
    await setPolicy(allowFrom("10.0.0.0/8"));
    assert.equal(
      (await call(t, "/dev/public")).status,
      200,
      "still the policy deployed last (which allows it)",
    );
    await deploy();
    assert.equal((await call(t, "/dev/public")).status, 403);
    await setPolicy(undefined);
    await deploy();
    assert.equal((await call(t, "/dev/public")).status, 200);
  });

  test("malformed policy JSON, a bad CIDR, an unknown condition key: each a 400 that changes nothing", async () => {
    await setPolicy(allowFrom("127.0.0.0/8"));
    const stored = (await t.apigateway.send(new GetRestApiCommand({ restApiId: apiId }))).policy;
    const bad: Array<[string, RegExp]> = [
      ['{"Statement": [', /not JSON/],
      [JSON.stringify(allowFrom("10.0.0.300/8")), /Invalid IP address or CIDR block '10\.0\.0\.300\/8'/],
      [JSON.stringify(allowFrom("2001:db8::/129")), /CIDR/],
      [
        JSON.stringify({
          Statement: [
            {
              Effect: "Allow",
              Principal: "*",
              Action: "execute-api:Invoke",
              Resource: "*",
              Condition: { StringEquals: { "aws:Referer": "x" } },
            },
          ],
        }),
        /condition key 'aws:Referer' is not supported/,
      ],
      [
        JSON.stringify({ Statement: [{ Effect: "Maybe", Principal: "*", Action: "*", Resource: "*" }] }),
        /Effect must be Allow or Deny/,
      ],
      [
        JSON.stringify({
          Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "arn:aws:s3:::bucket" }],
        }),
        /not an execute-api resource/,
      ],
    ];
    for (const [policy, message] of bad) {
      const e = await rejection(
        t.apigateway.send(
          new UpdateRestApiCommand({
            restApiId: apiId,
            patchOperations: [{ op: "replace", path: "/policy", value: policy }],
          }),
        ),
      );
      assert.equal(e.name, "BadRequestException", policy);
      assert.match(e.message, message);
    }
    const created = await t.admin("POST", "/restapis", { name: "bad-policy", policy: '{"Statement": 5' });
    assert.equal(created.status, 400);
    assert.equal((await t.apigateway.send(new GetRestApiCommand({ restApiId: apiId }))).policy, stored);
    const names = (await t.admin("GET", "/restapis")).body.item.map((a: { name: string }) => a.name);
    assert.ok(!names.includes("bad-policy"));
  });
});
