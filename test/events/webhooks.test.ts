import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import type { Events } from "../../src/events/index.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

/** The domain API the developer portal calls for an organization (a tenant). */
describe("webhook endpoints (the portal's domain API)", () => {
  let h: EventsHarness;
  let events: Events;
  let tenant: TestTenant;
  let receiver: Receiver;
  let endpointId: string;
  let secret: string;

  before(async () => {
    h = await startEvents();
    events = h.tollgate.services.events;
    tenant = await h.tenant("org-webhooks");
    receiver = await startReceiver();
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  const verify = (s: string, r: { body: string; headers: object }) =>
    new Webhook(s).verify(r.body, r.headers as Record<string, string>);

  test("an endpoint is created for event types; its secret is shown once and signs a test event", async () => {
    const created = await events.webhooks.create(tenant.id, {
      url: `${receiver.url}/hooks`,
      eventTypes: ["API Key Disabled", "Order Shipped"],
      description: "ops",
    });
    endpointId = created.endpoint.id;
    secret = created.secret;
    assert.match(secret, /^whsec_/);
    assert.deepEqual(created.endpoint.eventTypes, ["API Key Disabled", "Order Shipped"]);
    assert.equal(created.endpoint.enabled, true);
    assert.equal(created.endpoint.secrets.length, 1);
    assert.ok(!JSON.stringify(await events.webhooks.get(tenant.id, endpointId)).includes(secret.slice(6)));
    assert.deepEqual(
      (await events.webhooks.list(tenant.id)).map((e) => e.id),
      [endpointId],
    );

    const test = await events.webhooks.sendTest(tenant.id, endpointId);
    const [request] = await receiver.waitFor(1);
    assert.equal(request!.url, "/hooks");
    assert.doesNotThrow(() => verify(secret, request!));
    const body = JSON.parse(request!.body);
    assert.equal(body["detail-type"], "Webhook Test");
    assert.equal(body.id, test.eventId);
    assert.equal(request!.headers["webhook-id"], test.deliveryId);
  });

  test("platform events and the provider's events about the tenant reach the endpoint, others do not", async () => {
    const key = await h.admin("POST", "/apikeys", { name: "org-key", enabled: true, customerId: tenant.id });
    await h.admin("PATCH", `/apikeys/${key.body.id}`, {
      patchOperations: [{ op: "replace", path: "/enabled", value: "false" }],
    });
    await events.publishToTenant(tenant.id, { detailType: "Order Shipped", detail: { orderId: "o-9" } });
    await events.publishToTenant(tenant.id, { detailType: "Order Placed", detail: { orderId: "o-10" } });
    const got = await receiver.waitFor(3);
    const types = got
      .slice(1)
      .map((r) => JSON.parse(r.body)["detail-type"])
      .sort();
    assert.deepEqual(types, ["API Key Disabled", "Order Shipped"]);
    for (const r of got) assert.doesNotThrow(() => verify(secret, r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.received.length, 3, "the unsubscribed type was not delivered");
  });

  test("deliveries are listed with their attempts, and one is replayed", async () => {
    const page = await eventually(async () => {
      const p = await events.webhooks.deliveries(tenant.id, endpointId);
      return p.items.length === 3 && p.items.every((d) => d.Status === "DELIVERED") ? p : undefined;
    });
    const detail = await events.webhooks.delivery(tenant.id, page.items[0]!.DeliveryId);
    assert.equal(detail.Attempts.length, 1);
    assert.equal(detail.Attempts[0]!.StatusCode, 200);
    const replayed = await events.webhooks.replay(tenant.id, page.items[0]!.DeliveryId);
    const got = await receiver.waitFor(4);
    assert.equal(got[3]!.headers["webhook-id"], replayed.deliveryId);
    assert.equal(JSON.parse(got[3]!.body).id, JSON.parse(detail.Event).id);
  });

  test("the secret rotates with an overlap in which both secrets verify", async () => {
    const rotated = await events.webhooks.rotateSecret(tenant.id, endpointId);
    assert.equal(rotated.secrets.length, 2);
    await events.webhooks.sendTest(tenant.id, endpointId);
    const got = await receiver.waitFor(5);
    assert.doesNotThrow(() => verify(secret, got[4]!));
    assert.doesNotThrow(() => verify(rotated.secret, got[4]!));
  });

  test("a disabled endpoint receives nothing; another organization cannot read or touch it", async () => {
    await events.webhooks.update(tenant.id, endpointId, { enabled: false });
    await events.publishToTenant(tenant.id, { detailType: "Order Shipped", detail: { orderId: "o-11" } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.received.length, 5);
    const other = await h.tenant("org-other");
    await assert.rejects(events.webhooks.get(other.id, endpointId), { name: "ResourceNotFoundException" });
    await assert.rejects(events.webhooks.rotateSecret(other.id, endpointId), {
      name: "ResourceNotFoundException",
    });
    const [first] = (await events.webhooks.deliveries(tenant.id, endpointId)).items;
    await assert.rejects(events.webhooks.replay(other.id, first!.DeliveryId), {
      name: "ResourceNotFoundException",
    });
    await events.webhooks.delete(tenant.id, endpointId);
    assert.deepEqual(await events.webhooks.list(tenant.id), []);
  });
});
