import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { startEvents } from "./harness.js";
import { eventually, startReceiver } from "./receiver.js";

test("the delivery log forgets delivered deliveries past retention and keeps dead letters", async () => {
  const clock = new ManualClock(Date.now());
  const h = await startEvents({ clock });
  const receiver = await startReceiver();
  receiver.answer((_, r) => ({ status: JSON.parse(r.body).detail.ok ? 200 : 400 }));
  try {
    const events = h.tollgate.services.events;
    const scope = await events.scopeOf({ kind: "operator" });
    const conn = await events.connections.create(scope, {
      Name: "c",
      AuthorizationType: "API_KEY",
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-k", ApiKeyValue: "v" } },
    });
    const dest = await events.destinations.create(scope, {
      Name: "d",
      ConnectionArn: conn.ConnectionArn,
      InvocationEndpoint: receiver.url,
      HttpMethod: "POST",
    });
    await events.rules.put(scope, { Name: "r", EventPattern: '{"source":["s"]}' });
    await events.putTargets(scope, { Rule: "r", Targets: [{ Id: "t", Arn: dest.ApiDestinationArn }] });
    await events.ingest.putEvents(scope, [
      { Source: "s", DetailType: "t", Detail: '{"ok":true}' },
      { Source: "s", DetailType: "t", Detail: '{"ok":false}' },
    ]);
    await eventually(async () => {
      const page = await events.deliveries.list(scope, {});
      return page.items.length === 2 && page.items.every((d) => d.Status !== "PENDING") ? page : undefined;
    });
    clock.advance(6 * 86_400_000);
    assert.equal(await events.deliveries.prune(7), 0);
    clock.advance(2 * 86_400_000);
    assert.equal(await events.deliveries.prune(7), 1);
    const left = await events.deliveries.list(scope, {});
    assert.deepEqual(
      left.items.map((d) => d.Status),
      ["FAILED"],
    );
    const stored = await h.tollgate.store.db.selectFrom("events").select("id").execute();
    assert.equal(stored.length, 1, "the dead letter's event stays, the delivered one's is gone");
    const attempts = await h.tollgate.store.db
      .selectFrom("event_delivery_attempts")
      .select("delivery_id")
      .execute();
    assert.deepEqual(
      attempts.map((a) => a.delivery_id),
      [left.items[0]!.DeliveryId],
    );
  } finally {
    await h.close();
    await receiver.close();
  }
});
