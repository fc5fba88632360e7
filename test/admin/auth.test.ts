import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { APIGatewayClient, GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

/** Signs a request the way the AWS SDKs and CLI do, then sends it (optionally tampered). */
async function signedFetch(
  t: TestTollgate,
  init: {
    method: string;
    path: string;
    body?: string;
    secret?: string;
    accessKeyId?: string;
    date?: Date;
    sendBody?: string;
  },
) {
  const url = new URL(init.path, t.tollgate.adminUrl);
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: init.accessKeyId ?? t.tollgate.credentials.accessKeyId,
      secretAccessKey: init.secret ?? t.tollgate.credentials.secretAccessKey,
    },
    region: "us-east-1",
    service: "apigateway",
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signer.sign(
    new HttpRequest({
      method: init.method,
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: url.host, "content-type": "application/json" },
      body: init.body,
    }),
    { signingDate: init.date },
  );
  const headers = { ...signed.headers } as Record<string, string>;
  delete headers.host;
  const response = await fetch(url, { method: init.method, headers, body: init.sendBody ?? init.body });
  return {
    status: response.status,
    type: response.headers.get("x-amzn-errortype"),
    body: (await response.json()) as { message?: string },
  };
}

describe("admin authentication", () => {
  let t: TestTollgate;
  before(async () => {
    t = await startTestTollgate();
  });
  after(() => t.close());

  test("a request signed with SigV4 by the configured key pair is accepted", async () => {
    const created = await signedFetch(t, {
      method: "POST",
      path: "/tenants",
      body: JSON.stringify({ name: "signed" }),
    });
    assert.equal(created.status, 201);
    const listed = await signedFetch(t, { method: "GET", path: "/tenants?limit=10" });
    assert.equal(listed.status, 200);
  });

  test("the AWS SDK authenticates with SigV4; a wrong secret is InvalidSignatureException", async () => {
    const ok = await t.apigateway.send(new GetRestApisCommand({}));
    assert.ok(Array.isArray(ok.items ?? []));
    const wrong = new APIGatewayClient({
      endpoint: t.tollgate.adminUrl,
      region: "eu-west-1",
      credentials: { accessKeyId: t.tollgate.credentials.accessKeyId, secretAccessKey: "not-the-secret" },
      maxAttempts: 1,
    });
    await assert.rejects(
      wrong.send(new GetRestApisCommand({})),
      (e: Error) => e.name === "InvalidSignatureException",
    );
    wrong.destroy();
  });

  test("a body changed after signing is refused and changes nothing", async () => {
    const result = await signedFetch(t, {
      method: "POST",
      path: "/tenants",
      body: JSON.stringify({ name: "original" }),
      sendBody: JSON.stringify({ name: "tampered" }),
    });
    assert.equal(result.status, 403);
    assert.equal(result.type, "InvalidSignatureException");
    const names = (await t.admin("GET", "/tenants")).body.item.map((x: { name: string }) => x.name);
    assert.equal(names.includes("tampered") || names.includes("original"), false);
  });

  test("a wrong secret, an unknown access key id and an expired date are each a 403", async () => {
    const wrongSecret = await signedFetch(t, { method: "GET", path: "/tenants", secret: "x".repeat(40) });
    assert.deepEqual([wrongSecret.status, wrongSecret.type], [403, "InvalidSignatureException"]);
    const unknownKey = await signedFetch(t, {
      method: "GET",
      path: "/tenants",
      accessKeyId: "AKIAUNKNOWN000000000",
    });
    assert.deepEqual([unknownKey.status, unknownKey.type], [403, "UnrecognizedClientException"]);
    const expired = await signedFetch(t, {
      method: "GET",
      path: "/tenants",
      date: new Date(Date.now() - 20 * 60_000),
    });
    assert.deepEqual([expired.status, expired.type], [403, "InvalidSignatureException"]);
    assert.match(expired.body.message ?? "", /Signature expired/);
  });

  test("no credentials, a wrong bearer token, or a malformed Authorization header is a 403", async () => {
    const none = await t.admin("GET", "/tenants", undefined, { auth: false });
    assert.deepEqual(
      [none.status, none.headers.get("x-amzn-errortype")],
      [403, "MissingAuthenticationTokenException"],
    );
    const wrong = await t.admin("GET", "/tenants", undefined, { headers: { authorization: "Bearer nope" } });
    assert.deepEqual(
      [wrong.status, wrong.headers.get("x-amzn-errortype")],
      [403, "UnrecognizedClientException"],
    );
    const malformed = await t.admin("GET", "/tenants", undefined, {
      headers: { authorization: "AWS4-HMAC-SHA256 garbage" },
    });
    assert.equal(malformed.status, 403);
    const write = await t.admin("POST", "/tenants", { name: "anonymous" }, { auth: false });
    assert.equal(write.status, 403);
    const names = (await t.admin("GET", "/tenants")).body.item.map((x: { name: string }) => x.name);
    assert.equal(names.includes("anonymous"), false);
  });

  test("health and the admin API's OpenAPI document need no credentials", async () => {
    assert.equal((await t.admin("GET", "/health", undefined, { auth: false })).status, 200);
    assert.equal((await t.admin("GET", "/openapi.json", undefined, { auth: false })).status, 200);
  });
});
