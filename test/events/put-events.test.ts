import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ActivateEventSourceCommand,
  CreateEventBusCommand,
  CreatePartnerEventSourceCommand,
  DeactivateEventSourceCommand,
  DescribeEventSourceCommand,
  ListEventSourcesCommand,
  ListPartnerEventSourcesCommand,
  PutEventsCommand,
  PutPartnerEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { rejects } from "../helpers/sdk.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: PutEvents and PutPartnerEvents`, () => {
    let h: EventsHarness;
    before(async () => {
      // No worker: the tests read the queue as PutEvents left it.
      h = await startEvents({ dialect, events: { maxRequestBytes: 4096, worker: false } });
      await h.operator.send(new CreateEventBusCommand({ Name: "orders" }));
      await h.operator.send(
        new PutRuleCommand({
          Name: "placed",
          EventBusName: "orders",
          EventPattern: '{"detail-type":["Order Placed"]}',
        }),
      );
      await h.operator.send(
        new PutTargetsCommand({
          Rule: "placed",
          EventBusName: "orders",
          Targets: [{ Id: "copy", Arn: "arn:aws:events:us-east-1:000000000000:event-bus/default" }],
        }),
      );
    });
    after(() => h.close());

    const deliveries = (eventId: string) =>
      h.tollgate.store.db
        .selectFrom("event_deliveries")
        .selectAll()
        .where("event_id", "=", eventId)
        .execute();

    test("an accepted event that matches a rule is in the store, with its delivery, when PutEvents answers", async () => {
      const answer = await h.operator.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: "orders",
              Source: "shop",
              DetailType: "Order Placed",
              Detail: '{"orderId":"o-1"}',
            },
            {
              EventBusName: "orders",
              Source: "shop",
              DetailType: "Order Shipped",
              Detail: '{"orderId":"o-1"}',
            },
          ],
        }),
      );
      assert.equal(answer.FailedEntryCount, 0);
      const [placed, shipped] = answer.Entries!.map((e) => e.EventId!);
      assert.match(placed!, /^[0-9a-f-]{36}$/);
      const rows = await deliveries(placed!);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.status, "PENDING");
      assert.equal(rows[0]!.rule_name, "placed");
      assert.equal(rows[0]!.destination, "event-bus:000000000000/default");
      const stored = await h.tollgate.store.db
        .selectFrom("events")
        .selectAll()
        .where("id", "=", placed!)
        .executeTakeFirstOrThrow();
      const event = JSON.parse(stored.event);
      assert.equal(event.source, "shop");
      assert.equal(event.account, "000000000000");
      assert.equal(event.region, "us-east-1");
      assert.deepEqual(event.detail, { orderId: "o-1" });
      assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // An event no rule matches is accepted and not kept, as on AWS.
      assert.deepEqual(await deliveries(shipped!), []);
    });

    test("each bad entry fails alone with EventBridge's error code; the good ones are accepted", async () => {
      const answer = await h.operator.send(
        new PutEventsCommand({
          Entries: [
            { DetailType: "t", Detail: "{}" },
            { Source: "s", Detail: "{}" },
            { Source: "s", DetailType: "t" },
            { Source: "s", DetailType: "t", Detail: "{not json" },
            { Source: "s", DetailType: "t", Detail: "[1,2]" },
            { Source: "s", DetailType: "t", Detail: "{}", EventBusName: "missing" },
            { Source: "aws.ec2", DetailType: "t", Detail: "{}" },
            { Source: "s", DetailType: "t", Detail: "{}" },
          ],
        }),
      );
      assert.equal(answer.FailedEntryCount, 7);
      assert.deepEqual(
        answer.Entries!.map((e) => e.ErrorCode ?? "ok"),
        [
          "InvalidArgument",
          "InvalidArgument",
          "InvalidArgument",
          "MalformedDetail",
          "MalformedDetail",
          "ResourceNotFoundException",
          "NotAuthorizedForSourceException",
          "ok",
        ],
      );
      assert.equal(
        answer.Entries![0]!.ErrorMessage,
        "Parameter Source is not valid. Reason: Source is a required argument.",
      );
      assert.equal(answer.Entries![3]!.ErrorMessage, "Detail is malformed.");
      assert.equal(answer.Entries![5]!.ErrorMessage, "Event bus missing does not exist.");
      assert.ok(answer.Entries![7]!.EventId);
    });

    test("requests of no entries, more than 10 or over the size limit are refused whole", async () => {
      const entry = { Source: "s", DetailType: "Order Placed", Detail: "{}", EventBusName: "orders" };
      const before = await h.tollgate.store.db.selectFrom("event_deliveries").select("id").execute();
      await rejects(h.operator.send(new PutEventsCommand({ Entries: [] })), "ValidationException", 400);
      const tooMany = await rejects(
        h.operator.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
        "ValidationException",
        400,
      );
      assert.match(tooMany, /Member must have length less than or equal to 10/);
      const big = { ...entry, Detail: JSON.stringify({ pad: "x".repeat(2100) }) };
      const tooBig = await rejects(
        h.operator.send(new PutEventsCommand({ Entries: [big, big] })),
        "ValidationException",
        400,
      );
      assert.equal(tooBig, "Total size of the entries in the request is over the limit.");
      const afterRows = await h.tollgate.store.db.selectFrom("event_deliveries").select("id").execute();
      assert.equal(afterRows.length, before.length);
    });

    describe("partner event sources", () => {
      let tenant: TestTenant;
      const source = "aws.partner/tollgate/acme/orders";
      before(async () => {
        tenant = await h.tenant(`partner-${dialect}`);
      });

      test("the provider creates a source for a tenant, the tenant creates its partner bus, partner events reach it", async () => {
        const created = await h.operator.send(
          new CreatePartnerEventSourceCommand({ Name: source, Account: tenant.accountId }),
        );
        assert.equal(created.EventSourceArn, `arn:aws:events:us-east-1::event-source/${source}`);
        const pending = await tenant.client.send(new DescribeEventSourceCommand({ Name: source }));
        assert.equal(pending.State, "PENDING");
        assert.equal(pending.CreatedBy, "tollgate");
        const partnerList = await h.operator.send(
          new ListPartnerEventSourcesCommand({ NamePrefix: "aws.partner/tollgate/" }),
        );
        assert.deepEqual(
          partnerList.PartnerEventSources?.map((s) => s.Name),
          [source],
        );

        const bus = await tenant.client.send(
          new CreateEventBusCommand({ Name: source, EventSourceName: source }),
        );
        assert.equal(bus.EventBusArn, `arn:aws:events:us-east-1:${tenant.accountId}:event-bus/${source}`);
        assert.equal(
          (await tenant.client.send(new DescribeEventSourceCommand({ Name: source }))).State,
          "ACTIVE",
        );
        await tenant.client.send(
          new PutRuleCommand({ Name: "all", EventBusName: source, EventPattern: `{"source":["${source}"]}` }),
        );
        await tenant.client.send(
          new PutTargetsCommand({
            Rule: "all",
            EventBusName: source,
            Targets: [{ Id: "copy", Arn: `arn:aws:events:us-east-1:${tenant.accountId}:event-bus/default` }],
          }),
        );
        const sent = await h.operator.send(
          new PutPartnerEventsCommand({
            Entries: [{ Source: source, DetailType: "Order Placed", Detail: '{"n":1}' }],
          }),
        );
        assert.equal(sent.FailedEntryCount, 0);
        const rows = await deliveries(sent.Entries![0]!.EventId!);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.account, tenant.accountId);
        assert.equal(rows[0]!.bus_name, source);
        const stored = await h.tollgate.store.db
          .selectFrom("events")
          .select("event")
          .where("id", "=", rows[0]!.event_id)
          .executeTakeFirstOrThrow();
        assert.equal(JSON.parse(stored.event).account, tenant.accountId);
      });

      test("a deactivated source accepts partner events and delivers none; activated again, it delivers", async () => {
        await tenant.client.send(new DeactivateEventSourceCommand({ Name: source }));
        const dropped = await h.operator.send(
          new PutPartnerEventsCommand({ Entries: [{ Source: source, DetailType: "x", Detail: "{}" }] }),
        );
        assert.equal(dropped.FailedEntryCount, 0);
        assert.deepEqual(await deliveries(dropped.Entries![0]!.EventId!), []);
        await tenant.client.send(new ActivateEventSourceCommand({ Name: source }));
        const kept = await h.operator.send(
          new PutPartnerEventsCommand({ Entries: [{ Source: source, DetailType: "x", Detail: "{}" }] }),
        );
        assert.equal((await deliveries(kept.Entries![0]!.EventId!)).length, 1);
      });

      test("a tenant sees only the sources created for it; a source of an unknown source name is refused per entry", async () => {
        const other = await h.tenant(`other-${dialect}`);
        assert.deepEqual((await other.client.send(new ListEventSourcesCommand({}))).EventSources, []);
        await rejects(
          other.client.send(new DescribeEventSourceCommand({ Name: source })),
          "ResourceNotFoundException",
          400,
        );
        await rejects(
          other.client.send(new CreateEventBusCommand({ Name: source, EventSourceName: source })),
          "ResourceNotFoundException",
          400,
        );
        const answer = await h.operator.send(
          new PutPartnerEventsCommand({
            Entries: [{ Source: "aws.partner/tollgate/none/x", DetailType: "x", Detail: "{}" }],
          }),
        );
        assert.equal(answer.Entries![0]!.ErrorCode, "InvalidArgument");
        await rejects(
          h.operator.send(
            new CreatePartnerEventSourceCommand({ Name: "aws.partner/other/x/y", Account: tenant.accountId }),
          ),
          "ValidationException",
          400,
        );
        await rejects(
          h.operator.send(
            new CreatePartnerEventSourceCommand({
              Name: "aws.partner/tollgate/x/y",
              Account: "123456789012",
            }),
          ),
          "ValidationException",
          400,
        );
      });
    });
  });
}
