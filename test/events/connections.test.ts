import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from "@aws-sdk/client-eventbridge";
import { rejects } from "../helpers/sdk.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { type Receiver, startReceiver } from "./receiver.js";

describe("connections and API destinations", () => {
  let h: EventsHarness;
  let t: TestTenant;
  let receiver: Receiver;
  before(async () => {
    h = await startEvents();
    t = await h.tenant("connections");
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  async function route(name: string, connectionArn: string, url = receiver.url): Promise<string> {
    const dest = await t.client.send(
      new CreateApiDestinationCommand({
        Name: name,
        ConnectionArn: connectionArn,
        InvocationEndpoint: url,
        HttpMethod: "PUT",
      }),
    );
    await t.client.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [name] }) }));
    await t.client.send(
      new PutTargetsCommand({ Rule: name, Targets: [{ Id: "http", Arn: dest.ApiDestinationArn }] }),
    );
    return dest.ApiDestinationArn!;
  }
  const send = (source: string) =>
    t.client.send(
      new PutEventsCommand({ Entries: [{ Source: source, DetailType: "t", Detail: '{"a":1}' }] }),
    );

  test("Describe and List show a connection without its secrets; updates reach the next delivery", async () => {
    const created = await t.client.send(
      new CreateConnectionCommand({
        Name: "keyed",
        AuthorizationType: "API_KEY",
        AuthParameters: {
          ApiKeyAuthParameters: { ApiKeyName: "Authorization-Key", ApiKeyValue: "first-value" },
          InvocationHttpParameters: {
            HeaderParameters: [
              { Key: "x-public", Value: "shown", IsValueSecret: false },
              { Key: "x-private", Value: "hidden", IsValueSecret: true },
            ],
            QueryStringParameters: [{ Key: "tenant", Value: "acme" }],
            BodyParameters: [{ Key: "extra", Value: "added" }],
          },
        },
      }),
    );
    assert.equal(created.ConnectionState, "AUTHORIZED");
    assert.match(
      created.ConnectionArn!,
      new RegExp(`^arn:aws:events:us-east-1:${t.accountId}:connection/keyed/[0-9a-f-]{36}$`),
    );
    const described = await t.client.send(new DescribeConnectionCommand({ Name: "keyed" }));
    assert.deepEqual(described.AuthParameters?.ApiKeyAuthParameters, { ApiKeyName: "Authorization-Key" });
    assert.deepEqual(described.AuthParameters?.InvocationHttpParameters?.HeaderParameters, [
      { Key: "x-public", Value: "shown", IsValueSecret: false },
      { Key: "x-private", IsValueSecret: true },
    ]);
    assert.ok(!JSON.stringify(described).includes("first-value"));
    assert.ok(!JSON.stringify(described).includes("hidden"));
    const stored = await h.tollgate.store.db.selectFrom("event_connections").selectAll().execute();
    assert.ok(!JSON.stringify(stored).includes("first-value"), "secrets are sealed at rest");

    await route("keyed", created.ConnectionArn!);
    await send("keyed");
    const [first] = await receiver.waitFor(1);
    assert.equal(first!.method, "PUT");
    assert.equal(first!.headers["authorization-key"], "first-value");
    assert.equal(first!.headers["x-private"], "hidden");
    assert.equal(new URL(first!.url, "http://x").searchParams.get("tenant"), "acme");
    assert.equal(JSON.parse(first!.body).extra, "added");

    await t.client.send(
      new UpdateConnectionCommand({
        Name: "keyed",
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: "second-value" } },
      }),
    );
    await send("keyed");
    const [, second] = await receiver.waitFor(2);
    assert.equal(second!.headers["authorization-key"], "second-value");
    const listed = await t.client.send(new ListConnectionsCommand({}));
    assert.deepEqual(
      listed.Connections?.map((c) => [c.Name, c.AuthorizationType]),
      [["keyed", "API_KEY"]],
    );
  });

  test("basic auth sends the user and password of the connection", async () => {
    const conn = await t.client.send(
      new CreateConnectionCommand({
        Name: "basic",
        AuthorizationType: "BASIC",
        AuthParameters: { BasicAuthParameters: { Username: "hook-user", Password: "hook-pass" } },
      }),
    );
    const count = receiver.received.length;
    await route("basic", conn.ConnectionArn!);
    await send("basic");
    const got = await receiver.waitFor(count + 1);
    assert.equal(
      got[count]!.headers.authorization,
      `Basic ${Buffer.from("hook-user:hook-pass").toString("base64")}`,
    );
  });

  test("OAuth client credentials: the token is fetched once, cached, and fetched again after a 401", async () => {
    const issuer = await startReceiver();
    let issued = 0;
    issuer.answer(() => ({
      status: 200,
      body: JSON.stringify({ access_token: `tok-${++issued}`, expires_in: 3600 }),
    }));
    const api = await startReceiver();
    api.answer((n) => ({ status: n === 3 ? 401 : 200 }));
    try {
      const conn = await t.client.send(
        new CreateConnectionCommand({
          Name: "oauth",
          AuthorizationType: "OAUTH_CLIENT_CREDENTIALS",
          AuthParameters: {
            OAuthParameters: {
              ClientParameters: { ClientID: "client-1", ClientSecret: "client-secret" },
              AuthorizationEndpoint: `${issuer.url}/oauth/token`,
              HttpMethod: "POST",
              OAuthHttpParameters: { BodyParameters: [{ Key: "scope", Value: "events:write" }] },
            },
          },
        }),
      );
      const described = await t.client.send(new DescribeConnectionCommand({ Name: "oauth" }));
      assert.equal(described.AuthParameters?.OAuthParameters?.ClientParameters?.ClientID, "client-1");
      assert.ok(!JSON.stringify(described).includes("client-secret"));
      await route("oauth", conn.ConnectionArn!, api.url);
      await send("oauth");
      await api.waitFor(1);
      await send("oauth");
      await api.waitFor(2);
      assert.equal(issuer.received.length, 1);
      const tokenRequest = issuer.received[0]!;
      assert.equal(
        tokenRequest.headers.authorization,
        `Basic ${Buffer.from("client-1:client-secret").toString("base64")}`,
      );
      const form = new URLSearchParams(tokenRequest.body);
      assert.equal(form.get("grant_type"), "client_credentials");
      assert.equal(form.get("scope"), "events:write");
      assert.deepEqual(
        api.received.map((r) => r.headers.authorization),
        ["Bearer tok-1", "Bearer tok-1"],
      );
      // The third call answers 401: the token is dropped and the retry carries a new one.
      await send("oauth");
      const calls = await api.waitFor(4);
      assert.equal(calls[2]!.headers.authorization, "Bearer tok-1");
      assert.equal(calls[3]!.headers.authorization, "Bearer tok-2");
    } finally {
      await issuer.close();
      await api.close();
    }
  });

  test("an API destination is described, listed, updated and deleted; a connection in use is not deleted", async () => {
    const conn = await t.client.send(new DescribeConnectionCommand({ Name: "basic" }));
    const described = await t.client.send(new DescribeApiDestinationCommand({ Name: "basic" }));
    assert.equal(described.ConnectionArn, conn.ConnectionArn);
    assert.equal(described.InvocationRateLimitPerSecond, 300);
    assert.equal(described.ApiDestinationState, "ACTIVE");
    await t.client.send(
      new UpdateApiDestinationCommand({
        Name: "basic",
        InvocationRateLimitPerSecond: 10,
        HttpMethod: "POST",
      }),
    );
    const updated = await t.client.send(new DescribeApiDestinationCommand({ Name: "basic" }));
    assert.equal(updated.InvocationRateLimitPerSecond, 10);
    assert.equal(updated.HttpMethod, "POST");
    const listed = await t.client.send(new ListApiDestinationsCommand({ ConnectionArn: conn.ConnectionArn }));
    assert.deepEqual(
      listed.ApiDestinations?.map((d) => d.Name),
      ["basic"],
    );
    await rejects(t.client.send(new DeleteConnectionCommand({ Name: "basic" })), "ValidationException", 400);
    await t.client.send(new DeleteApiDestinationCommand({ Name: "basic" }));
    const deleted = await t.client.send(new DeleteConnectionCommand({ Name: "basic" }));
    assert.equal(deleted.ConnectionState, "DELETING");
    await rejects(
      t.client.send(new DescribeConnectionCommand({ Name: "basic" })),
      "ResourceNotFoundException",
      400,
    );
  });

  test("bad connections and destinations are 400s; another tenant's connection cannot be used", async () => {
    const other = await h.tenant("connections-other");
    const theirs = await other.client.send(
      new CreateConnectionCommand({
        Name: "theirs",
        AuthorizationType: "API_KEY",
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "k", ApiKeyValue: "v" } },
      }),
    );
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [
        () =>
          t.client.send(
            new CreateConnectionCommand({ Name: "nobasic", AuthorizationType: "BASIC", AuthParameters: {} }),
          ),
        "ValidationException",
        /BasicAuthParameters with Username and Password are required/,
      ],
      [
        () =>
          t.client.send(
            new CreateApiDestinationCommand({
              Name: "stolen",
              ConnectionArn: theirs.ConnectionArn,
              InvocationEndpoint: receiver.url,
              HttpMethod: "POST",
            }),
          ),
        "ResourceNotFoundException",
        /does not exist/,
      ],
      [
        () =>
          t.client.send(
            new CreateApiDestinationCommand({
              Name: "fast",
              ConnectionArn: theirs.ConnectionArn,
              InvocationEndpoint: receiver.url,
              HttpMethod: "POST",
              InvocationRateLimitPerSecond: 301,
            }),
          ),
        "ValidationException",
        /less than or equal to 300/,
      ],
      [
        () =>
          t.client.send(
            new PutTargetsCommand({
              Rule: "keyed",
              Targets: [{ Id: "x", Arn: `arn:aws:events:us-east-1:${t.accountId}:api-destination/none/0` }],
            }),
          ),
        "ResourceNotFoundException",
        /does not exist/,
      ],
    ];
    for (const [call, name, message] of cases) assert.match(await rejects(call(), name, 400), message);
    assert.deepEqual((await other.client.send(new ListApiDestinationsCommand({}))).ApiDestinations, []);
  });

  test("a rule can target another bus of the account, whose rules deliver the event on", async () => {
    await t.client.send(new CreateEventBusCommand({ Name: "downstream" }));
    const keyed = await t.client.send(new DescribeApiDestinationCommand({ Name: "keyed" }));
    await t.client.send(new PutRuleCommand({ Name: "relay", EventPattern: '{"source":["relay"]}' }));
    await t.client.send(
      new PutTargetsCommand({
        Rule: "relay",
        Targets: [{ Id: "bus", Arn: `arn:aws:events:us-east-1:${t.accountId}:event-bus/downstream` }],
      }),
    );
    await t.client.send(
      new PutRuleCommand({
        Name: "deliver",
        EventBusName: "downstream",
        EventPattern: '{"source":["relay"]}',
      }),
    );
    await t.client.send(
      new PutTargetsCommand({
        Rule: "deliver",
        EventBusName: "downstream",
        Targets: [{ Id: "http", Arn: keyed.ApiDestinationArn, InputPath: "$.detail" }],
      }),
    );
    const count = receiver.received.length;
    await t.client.send(
      new PutEventsCommand({ Entries: [{ Source: "relay", DetailType: "t", Detail: '{"hop":2}' }] }),
    );
    const got = await receiver.waitFor(count + 1);
    assert.deepEqual(JSON.parse(got[count]!.body), { hop: 2, extra: "added" });
  });
});

describe("endpoint rules when http and private addresses are not allowed (the defaults)", () => {
  let h: EventsHarness;
  let t: TestTenant;
  before(async () => {
    h = await startEvents({ events: { allowHttp: false, allowPrivateTargets: false } });
    t = await h.tenant("strict");
  });
  after(() => h.close());

  test("API destinations must use https, and tenants' may not point at loopback or private addresses", async () => {
    const conn = await t.client.send(
      new CreateConnectionCommand({
        Name: "c",
        AuthorizationType: "API_KEY",
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "k", ApiKeyValue: "v" } },
      }),
    );
    const create = (url: string) =>
      t.client.send(
        new CreateApiDestinationCommand({
          Name: "d",
          ConnectionArn: conn.ConnectionArn,
          InvocationEndpoint: url,
          HttpMethod: "POST",
        }),
      );
    assert.match(
      await rejects(create("http://example.com/hook"), "ValidationException", 400),
      /must use HTTPS/,
    );
    for (const url of [
      "https://127.0.0.1:8081/",
      "https://localhost/x",
      "https://10.1.2.3/",
      "https://[::1]/",
      "https://192.168.0.1/",
    ]) {
      assert.match(
        await rejects(create(url), "ValidationException", 400),
        /loopback or private address/,
        url,
      );
    }
    const ok = await create("https://hooks.example.com/*");
    assert.equal(ok.ApiDestinationState, "ACTIVE");
  });
});
