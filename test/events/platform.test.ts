import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DescribeEventSourceCommand,
  type EventBridgeClient,
  ListEventSourcesCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { DIALECTS } from "../helpers/tollgate.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

/** A rule on `bus` sending what matches `pattern` to the receiver. */
async function subscribe(
  client: EventBridgeClient,
  name: string,
  bus: string,
  pattern: object,
  receiver: Receiver,
) {
  const conn = await client.send(
    new CreateConnectionCommand({
      Name: name,
      AuthorizationType: "API_KEY",
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-k", ApiKeyValue: "v" } },
    }),
  );
  const dest = await client.send(
    new CreateApiDestinationCommand({
      Name: name,
      ConnectionArn: conn.ConnectionArn,
      InvocationEndpoint: receiver.url,
      HttpMethod: "POST",
    }),
  );
  await client.send(
    new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }),
  );
  await client.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: bus,
      Targets: [{ Id: "http", Arn: dest.ApiDestinationArn }],
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: platform events`, () => {
    let h: EventsHarness;
    let tenant: TestTenant;
    let provider: Receiver;
    let tenantHooks: Receiver;
    const source = () => `aws.partner/tollgate/${tenant.id}/events`;

    before(async () => {
      h = await startEvents({ dialect });
      provider = await startReceiver();
      tenantHooks = await startReceiver();
      tenant = await h.tenant(`platform-${dialect}`);
      await subscribe(
        h.operator,
        "keys",
        "default",
        { source: ["tollgate.apikeys", "tollgate.billing"] },
        provider,
      );
    });
    after(async () => {
      await h.close();
      await provider.close();
      await tenantHooks.close();
    });

    test("a key created for a tenant is an event on the provider's bus, and gives the tenant its event source", async () => {
      const key = await h.admin("POST", "/apikeys", { name: "k1", enabled: true, customerId: tenant.id });
      assert.equal(key.status, 201);
      const [request] = await provider.waitFor(1);
      const event = JSON.parse(request!.body);
      assert.equal(event["detail-type"], "API Key Created");
      assert.equal(event.source, "tollgate.apikeys");
      assert.equal(event.account, "000000000000");
      assert.equal(event.region, "us-east-1");
      assert.deepEqual(event.detail, { keyId: key.body.id, name: "k1", tenantId: tenant.id, enabled: true });
      assert.deepEqual(event.resources, [`apikeys/${key.body.id}`]);
      const sources = await eventually(async () => {
        const list = await tenant.client.send(new ListEventSourcesCommand({}));
        return list.EventSources?.length ? list.EventSources : undefined;
      });
      assert.deepEqual(
        sources.map((s) => [s.Name, s.State]),
        [[source(), "PENDING"]],
      );
    });

    test("once the tenant has its partner bus, events about it reach its rules with the partner source", async () => {
      await tenant.client.send(new CreateEventBusCommand({ Name: source(), EventSourceName: source() }));
      assert.equal(
        (await tenant.client.send(new DescribeEventSourceCommand({ Name: source() }))).State,
        "ACTIVE",
      );
      await subscribe(
        tenant.client,
        "mine",
        source(),
        { "detail-type": ["API Key Disabled", "Invoice Finalized"] },
        tenantHooks,
      );
      const key = await h.admin("POST", "/apikeys", { name: "k2", enabled: true, customerId: tenant.id });
      const disabled = await h.admin("PATCH", `/apikeys/${key.body.id}`, {
        patchOperations: [{ op: "replace", path: "/enabled", value: "false" }],
      });
      assert.equal(disabled.status, 200);
      const [request] = await tenantHooks.waitFor(1);
      const event = JSON.parse(request!.body);
      assert.equal(event["detail-type"], "API Key Disabled");
      assert.equal(event.source, source());
      assert.equal(event.account, tenant.accountId);
      assert.deepEqual(event.detail, {
        keyId: key.body.id,
        name: "k2",
        tenantId: tenant.id,
        reason: "disabled",
      });
      // The provider saw the creation and the disabling too.
      const seen = await provider.waitFor(3);
      assert.deepEqual(
        seen.map((r) => JSON.parse(r.body)["detail-type"]),
        ["API Key Created", "API Key Created", "API Key Disabled"],
      );
    });

    test("another tenant's platform events never reach this tenant", async () => {
      const other = await h.tenant(`platform-other-${dialect}`);
      const before = tenantHooks.received.length;
      const key = await h.admin("POST", "/apikeys", { name: "theirs", enabled: true, customerId: other.id });
      await h.admin("PATCH", `/apikeys/${key.body.id}`, {
        patchOperations: [{ op: "replace", path: "/enabled", value: "false" }],
      });
      await provider.waitFor(5);
      await h.tollgate.services.events.runJobs();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(tenantHooks.received.length, before);
    });

    test("a finalized invoice is published to its tenant in the transaction that finalizes it", async () => {
      const billing = h.tollgate.services.billing;
      const now = new Date();
      const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const period = `${last.getUTCFullYear()}-${String(last.getUTCMonth() + 1).padStart(2, "0")}`;
      const plan = await h.tollgate.services.usagePlans.create({ name: `billed-${dialect}` });
      await billing.prices.put(plan.id, { currency: "EUR", monthlyFee: "10.00" });
      await billing.subscriptions.create(tenant.id, { usagePlanId: plan.id, startDate: `${period}-01` });
      const draft = await billing.invoices.generate(tenant.id, period);
      const before = await h.tollgate.store.db
        .selectFrom("event_outbox")
        .select("id")
        .where("detail_type", "=", "Invoice Finalized")
        .execute();
      assert.deepEqual(before, []);
      const invoice = await billing.invoices.finalize(draft.id);
      const count = tenantHooks.received.length;
      const got = await tenantHooks.waitFor(count + 1);
      const event = JSON.parse(got[count]!.body);
      assert.equal(event["detail-type"], "Invoice Finalized");
      assert.deepEqual(event.detail, {
        invoiceId: invoice.id,
        tenantId: tenant.id,
        period,
        currency: invoice.currency,
        total: invoice.total,
      });
    });
  });
}
