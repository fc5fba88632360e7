import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { APIGatewayClient, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import {
  CreateEventBusCommand,
  CreatePartnerEventSourceCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { rejects } from "../helpers/sdk.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";

describe("tenant principals: each tenant is an account of its own", () => {
  let h: EventsHarness;
  let a: TestTenant;
  let b: TestTenant;
  before(async () => {
    h = await startEvents();
    a = await h.tenant("tenant-a");
    b = await h.tenant("tenant-b");
  });
  after(() => h.close());

  test("tenants get distinct 12-digit account ids, other than the provider's", () => {
    assert.match(a.accountId, /^\d{12}$/);
    assert.match(b.accountId, /^\d{12}$/);
    assert.notEqual(a.accountId, b.accountId);
    assert.notEqual(a.accountId, "000000000000");
  });

  test("two tenants may use the same bus and rule names; each sees only its own", async () => {
    const ca = await a.client.send(new CreateEventBusCommand({ Name: "app" }));
    const cb = await b.client.send(new CreateEventBusCommand({ Name: "app" }));
    assert.equal(ca.EventBusArn, `arn:aws:events:us-east-1:${a.accountId}:event-bus/app`);
    assert.equal(cb.EventBusArn, `arn:aws:events:us-east-1:${b.accountId}:event-bus/app`);
    await a.client.send(
      new PutRuleCommand({ Name: "only-a", EventBusName: "app", EventPattern: '{"source":["a"]}' }),
    );
    const aRules = await a.client.send(new ListRulesCommand({ EventBusName: "app" }));
    const bRules = await b.client.send(new ListRulesCommand({ EventBusName: "app" }));
    assert.deepEqual(
      aRules.Rules?.map((r) => r.Name),
      ["only-a"],
    );
    assert.deepEqual(bRules.Rules, []);
    const operatorBuses = await h.operator.send(new ListEventBusesCommand({}));
    assert.deepEqual(
      operatorBuses.EventBuses?.map((x) => x.Name),
      ["default"],
    );
    await rejects(
      b.client.send(new DescribeRuleCommand({ Name: "only-a", EventBusName: "app" })),
      "ResourceNotFoundException",
      400,
    );
  });

  test("a tenant cannot read or change another tenant's resources by ARN", async () => {
    const bBus = `arn:aws:events:us-east-1:${b.accountId}:event-bus/app`;
    await rejects(a.client.send(new DescribeEventBusCommand({ Name: bBus })), "AccessDeniedException", 400);
    await rejects(
      a.client.send(
        new PutRuleCommand({ Name: "intruder", EventBusName: bBus, EventPattern: '{"source":["x"]}' }),
      ),
      "AccessDeniedException",
      400,
    );
    await a.client.send(new PutRuleCommand({ Name: "fwd", EventPattern: '{"source":["x"]}' }));
    await rejects(
      a.client.send(new PutTargetsCommand({ Rule: "fwd", Targets: [{ Id: "steal", Arn: bBus }] })),
      "AccessDeniedException",
      400,
    );
    const bRules = await b.client.send(new ListRulesCommand({ EventBusName: "app" }));
    assert.deepEqual(bRules.Rules, []);
  });

  test("a tenant's bearer token reaches the event bus", async () => {
    const r = await h.json("ListEventBuses", {}, a.token);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.EventBuses.map((x: { Arn: string }) => x.Arn),
      [
        `arn:aws:events:us-east-1:${a.accountId}:event-bus/app`,
        `arn:aws:events:us-east-1:${a.accountId}:event-bus/default`,
      ],
    );
  });

  test("tenant credentials are refused on the operator's REST operations and the partner's operations", async () => {
    const rest = await h.admin("GET", "/usageplans", undefined, a.token);
    assert.equal(rest.status, 403);
    assert.match(rest.body.message, /not authorized/);
    const apigateway = new APIGatewayClient({
      endpoint: h.tollgate.adminUrl,
      region: "us-east-1",
      credentials: { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey },
      maxAttempts: 1,
    });
    try {
      await rejects(apigateway.send(new GetUsagePlansCommand({})), "AccessDeniedException", 403);
    } finally {
      apigateway.destroy();
    }
    const issue = await h.admin("POST", `/tenants/${b.id}/credentials`, {}, a.token);
    assert.equal(issue.status, 403);
    await rejects(
      a.client.send(
        new CreatePartnerEventSourceCommand({ Name: "aws.partner/tollgate/x/y", Account: a.accountId }),
      ),
      "AccessDeniedException",
      400,
    );
  });

  test("credentials are listed without secrets, and revoked ones stop working at once", async () => {
    const second = await h.admin("POST", `/tenants/${a.id}/credentials`, { description: "ci" });
    assert.equal(second.status, 201);
    const listed = await h.admin("GET", `/tenants/${a.id}/credentials`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.item.length, 2);
    assert.ok(
      listed.body.item.every((c: Record<string, unknown>) => !("secretAccessKey" in c) && !("token" in c)),
    );
    const revoked = await h.admin("DELETE", `/tenants/${a.id}/credentials/${second.body.accessKeyId}`);
    assert.equal(revoked.status, 202);
    const refused = await h.json("ListEventBuses", {}, second.body.token);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.__type, "UnrecognizedClientException");
    assert.equal((await h.json("ListEventBuses", {}, a.token)).status, 200);
  });

  test("a disabled tenant's credentials are refused", async () => {
    const c = await h.tenant("tenant-c");
    assert.equal((await h.json("ListEventBuses", {}, c.token)).status, 200);
    const patched = await h.admin("PATCH", `/tenants/${c.id}`, {
      patchOperations: [{ op: "replace", path: "/enabled", value: "false" }],
    });
    assert.equal(patched.status, 200);
    assert.equal((await h.json("ListEventBuses", {}, c.token)).status, 403);
    await rejects(c.client.send(new ListEventBusesCommand({})), "UnrecognizedClientException", 403);
  });
});
