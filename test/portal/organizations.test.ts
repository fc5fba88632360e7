import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createOrg,
  type PortalClient,
  type PortalFixture,
  shownKey,
  signedInDeveloper,
  startPortalFixture,
} from "./fixture.js";

describe("portal organizations, plans and keys", () => {
  let f: PortalFixture;
  let alice: PortalClient;
  let bob: PortalClient;
  let orgA: string;
  let orgB: string;
  let keyA = "";
  let keyAId = "";
  const call = (key: string) =>
    fetch(`${f.tollgate.gatewayUrl}/dev/pets`, { headers: { "x-api-key": key } }).then((r) => r.status);

  before(async () => {
    f = await startPortalFixture();
    alice = await signedInDeveloper(f, "alice@example.com", "Alice");
    bob = await signedInDeveloper(f, "bob@example.com", "Bob");
    orgA = await createOrg(alice, "Alpha Inc");
    orgB = await createOrg(bob, "Beta LLC");
  });
  after(() => f.close());

  it("shows each plan covering a published stage in the catalog, and nothing unpublished", async () => {
    const stage = await alice.get(`/apis/${f.apiId}/dev`);
    assert.equal(stage.status, 200);
    assert.match(stage.text, /id="plan-[a-z0-9]+">Free</);
    assert.match(stage.text, /id="plan-[a-z0-9]+">Premium</);
    assert.match(
      stage.text,
      new RegExp(
        `curl -H "x-api-key: YOUR_API_KEY" ${f.tollgate.gatewayUrl.replace(/[./]/g, "\\$&")}/dev/pets`,
      ),
    );
    await f.admin("PUT", `/portal/catalog/${f.apiId}/stages/dev`, { published: false });
    assert.equal((await alice.get(`/apis/${f.apiId}/dev`)).status, 404);
    assert.equal((await alice.get(`/apis/${f.apiId}/dev/openapi.json`)).status, 404);
    await f.admin("PUT", `/portal/catalog/${f.apiId}/stages/dev`, { published: true });
    const spec = JSON.parse((await alice.get(`/apis/${f.apiId}/dev/openapi.json`)).text);
    assert.deepEqual(spec.servers, [
      { url: `${f.tollgate.gatewayUrl}/dev`, description: "Stage dev through the gateway" },
    ]);
  });

  it("subscribes to Free and puts the organization's keys on Free only", async () => {
    const created = await alice.submit(`/orgs/${orgA}/keys`, `/orgs/${orgA}/keys`, { name: "production" });
    keyA = shownKey(created.text);
    assert.equal(keyA.length, 40, "the value is shown once, at creation");
    keyAId = (await f.tollgate.services.apiKeys.list({ customerId: orgA }))[0]!.id;
    assert.equal(await call(keyA), 403, "no plan yet");
    const subscribed = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan`, {
      planId: f.freePlanId,
    });
    assert.equal(subscribed.status, 200);
    assert.match(subscribed.text, /Subscribed/);
    const plans = await f.tollgate.services.usagePlans.list({ keyId: keyAId });
    assert.deepEqual(
      plans.map((p) => p.name),
      ["Free"],
    );
    await f.tollgate.gateway.gateway.reloadIfChanged();
    assert.equal(await call(keyA), 200);
    const keysPage = await alice.get(`/orgs/${orgA}/keys`);
    assert.equal(keysPage.text.includes(keyA), false, "the value is not shown again");
  });

  it("changes the plan: keys move from Free to Premium and nowhere else", async () => {
    const changed = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan`, {
      planId: f.premiumPlanId,
    });
    assert.equal(changed.status, 200);
    const plans = await f.tollgate.services.usagePlans.list({ keyId: keyAId });
    assert.deepEqual(
      plans.map((p) => p.name),
      ["Premium"],
    );
    const again = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan`, { planId: f.premiumPlanId });
    assert.equal(again.status, 409);
    assert.match(again.text, /already on the Premium plan/);
    const unknown = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan`, { planId: "nope" });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /Choose one of the plans shown in the catalog/);
    assert.deepEqual(
      (await f.tollgate.services.usagePlans.list({ keyId: keyAId })).map((p) => p.name),
      ["Premium"],
    );
  });

  it("waits for approval when the plan needs it, and the admin's approval moves the keys", async () => {
    await f.admin("PUT", `/portal/plans/${f.freePlanId}`, { approvalRequired: true });
    const requested = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan`, {
      planId: f.freePlanId,
    });
    assert.match(requested.text, /the provider approves it/);
    assert.deepEqual(
      (await f.tollgate.services.usagePlans.list({ keyId: keyAId })).map((p) => p.name),
      ["Premium"],
    );
    const pending = await f.admin("GET", "/portal/subscriptions?status=PENDING");
    assert.equal(pending.body.item.length, 1);
    const approved = await f.admin("POST", `/portal/subscriptions/${pending.body.item[0].id}/approve`);
    assert.equal(approved.body.status, "ACTIVE");
    assert.deepEqual(
      (await f.tollgate.services.usagePlans.list({ keyId: keyAId })).map((p) => p.name),
      ["Free"],
    );
    await f.admin("PUT", `/portal/plans/${f.freePlanId}`, { approvalRequired: false });
  });

  it("rotates a key: the old value works during the grace period, then 403", async () => {
    const rotated = await alice.submit(`/orgs/${orgA}/keys`, `/orgs/${orgA}/keys/${keyAId}/rotate`, {
      graceSeconds: "300",
    });
    assert.equal(rotated.status, 200);
    const newKey = shownKey(rotated.text);
    assert.notEqual(newKey, keyA);
    await f.tollgate.gateway.gateway.reloadIfChanged();
    assert.equal(await call(newKey), 200);
    assert.equal(await call(keyA), 200, "inside the grace period");
    await f.advance(299_000);
    assert.equal(await call(keyA), 200, "one second before the end");
    await f.advance(2_000);
    assert.equal(await call(keyA), 403, "after the grace period");
    assert.equal(await call(newKey), 200);
    const badGrace = await alice.submit(`/orgs/${orgA}/keys`, `/orgs/${orgA}/keys/${keyAId}/rotate`, {
      graceSeconds: "12",
    });
    assert.equal(badGrace.status, 400);
    keyA = newKey;
    keyAId = (await f.tollgate.services.apiKeys.list({ customerId: orgA })).find((k) => !k.expiresDate)!.id;
  });

  it("refuses bad key names with a clear message and creates nothing", async () => {
    const before = (await f.tollgate.services.apiKeys.list({ customerId: orgA })).length;
    const bad = await alice.submit(`/orgs/${orgA}/keys`, `/orgs/${orgA}/keys`, { name: "<script>" });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Name the key with 1 to 64 letters/);
    assert.equal(bad.text.includes("<script>"), false, "what was typed comes back escaped");
    const dup = await alice.submit(`/orgs/${orgA}/keys`, `/orgs/${orgA}/keys`, { name: "production" });
    assert.equal(dup.status, 409);
    assert.equal((await f.tollgate.services.apiKeys.list({ customerId: orgA })).length, before);
  });

  it("keeps another organization's keys, usage, invoices and plan out of reach by URL and by form field", async () => {
    const invoice = await f.tollgate.services.billing.invoices
      .generate(orgA, new Date(f.clock.now()).toISOString().slice(0, 7))
      .catch(() => undefined);
    for (const path of [
      `/orgs/${orgA}`,
      `/orgs/${orgA}/keys`,
      `/orgs/${orgA}/usage`,
      `/orgs/${orgA}/invoices`,
      `/orgs/${orgA}/plan`,
      `/orgs/${orgA}/members`,
      `/orgs/${orgA}/webhooks`,
    ]) {
      assert.equal((await bob.get(path)).status, 404, path);
    }
    if (invoice) {
      assert.equal((await bob.get(`/orgs/${orgB}/invoices/${invoice.id}`)).status, 404);
      assert.equal((await bob.get(`/orgs/${orgB}/invoices/${invoice.id}/csv`)).status, 404);
      assert.equal((await alice.get(`/orgs/${orgA}/invoices/${invoice.id}`)).status, 200);
    }
    await bob.get(`/orgs/${orgB}/keys`);
    assert.equal((await bob.post(`/orgs/${orgA}/keys`, { name: "stolen" })).status, 404);
    assert.equal((await bob.post(`/orgs/${orgB}/keys/${keyAId}/revoke`, {})).status, 404);
    assert.equal((await bob.post(`/orgs/${orgB}/keys/${keyAId}/rotate`, { graceSeconds: "0" })).status, 404);
    assert.equal((await bob.post(`/orgs/${orgA}/plan/cancel`, {})).status, 404);
    assert.equal((await bob.post("/subscribe", { orgId: orgA, planId: f.premiumPlanId })).status, 404);
    const keys = await f.tollgate.services.apiKeys.list({ customerId: orgA });
    assert.equal(
      keys.some((k) => k.name === "stolen"),
      false,
    );
    assert.equal(await call(keyA), 200, "Alpha's key still works");
    assert.deepEqual(
      (await f.tollgate.services.usagePlans.list({ keyId: keyAId })).map((p) => p.name),
      ["Free"],
    );
  });

  it("shows usage from get-usage's data: the requests per day and the remaining quota", async () => {
    await f.tollgate.ledger.commit();
    const usage = await alice.get(`/orgs/${orgA}/usage`);
    assert.equal(usage.status, 200);
    const plan = await f.tollgate.services.usagePlans.get(f.freePlanId);
    const today = new Date(f.clock.now()).toISOString().slice(0, 10);
    const got = await f.tollgate.services.metering.getUsage(f.freePlanId, {
      startDate: today,
      endDate: today,
      keyId: keyAId,
    });
    const [used, remaining] = got.values[keyAId]!.at(-1)!;
    assert.ok(used > 0);
    assert.match(
      usage.text,
      new RegExp(`<td class="num">${used}</td><td class="num">\\d+</td><td class="num">${remaining}</td>`),
    );
    assert.ok(plan.quota);
    assert.match(usage.text, /<svg class="chart"/);
  });

  it("keeps webhook endpoints to their organization, and refuses a bad URL with nothing created", async () => {
    const webhooks = f.tollgate.services.events.webhooks;
    const { endpoint } = await webhooks.create(orgA, {
      url: "http://127.0.0.1:9/hooks",
      eventTypes: ["Webhook Test"],
    });
    const page = await alice.get(`/orgs/${orgA}/webhooks/${endpoint.id}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /127\.0\.0\.1:9\/hooks/);
    assert.equal((await bob.get(`/orgs/${orgB}/webhooks/${endpoint.id}`)).status, 404);
    assert.equal((await bob.get(`/orgs/${orgA}/webhooks/${endpoint.id}`)).status, 404);
    await bob.get(`/orgs/${orgB}/webhooks`);
    for (const action of ["test", "rotate", "delete"]) {
      assert.equal(
        (await bob.post(`/orgs/${orgB}/webhooks/${endpoint.id}/${action}`, {})).status,
        404,
        action,
      );
    }
    assert.equal(
      (await bob.post(`/orgs/${orgA}/webhooks`, { url: "https://evil.example/hooks" })).status,
      404,
    );
    assert.deepEqual(
      (await webhooks.list(orgA)).map((e) => e.id),
      [endpoint.id],
    );
    const bad = await alice.submit(`/orgs/${orgA}/webhooks`, `/orgs/${orgA}/webhooks`, { url: "not a url" });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Enter the endpoint(&#39;|')s URL, starting with https:\/\//);
    assert.equal((await webhooks.list(orgA)).length, 1);
    await webhooks.delete(orgA, endpoint.id);
  });

  it("cancels the plan: the keys are refused", async () => {
    const cancelled = await alice.submit(`/orgs/${orgA}/plan`, `/orgs/${orgA}/plan/cancel`, {});
    assert.equal(cancelled.status, 200);
    await f.tollgate.gateway.gateway.reloadIfChanged();
    assert.equal(await call(keyA), 403);
    assert.deepEqual(await f.tollgate.services.usagePlans.list({ keyId: keyAId }), []);
  });
});
