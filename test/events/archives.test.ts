import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CancelReplayCommand,
  CreateApiDestinationCommand,
  CreateArchiveCommand,
  CreateConnectionCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DeleteRuleCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  ListArchivesCommand,
  ListReplaysCommand,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
  UpdateArchiveCommand,
} from "@aws-sdk/client-eventbridge";
import { rejects } from "../helpers/sdk.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: archives and replays`, () => {
    let h: EventsHarness;
    let t: TestTenant;
    let orders: Receiver;
    let audit: Receiver;
    let busArn: string;
    let archiveArn: string;
    const sentAt = { start: 0, end: 0 };

    before(async () => {
      h = await startEvents({ dialect });
      t = await h.tenant(`archives-${dialect}`);
      orders = await startReceiver();
      audit = await startReceiver();
      busArn = (await t.client.send(new CreateEventBusCommand({ Name: "shop" }))).EventBusArn!;
      const conn = await t.client.send(
        new CreateConnectionCommand({
          Name: "basic",
          AuthorizationType: "BASIC",
          AuthParameters: { BasicAuthParameters: { Username: "u", Password: "p" } },
        }),
      );
      for (const [name, receiver, pattern] of [
        ["orders", orders, { "detail-type": ["Order Placed"] }],
        ["audit", audit, { source: ["shop"] }],
      ] as const) {
        const dest = await t.client.send(
          new CreateApiDestinationCommand({
            Name: name,
            ConnectionArn: conn.ConnectionArn,
            InvocationEndpoint: receiver.url,
            HttpMethod: "POST",
          }),
        );
        await t.client.send(
          new PutRuleCommand({ Name: name, EventBusName: "shop", EventPattern: JSON.stringify(pattern) }),
        );
        await t.client.send(
          new PutTargetsCommand({
            Rule: name,
            EventBusName: "shop",
            Targets: [{ Id: "http", Arn: dest.ApiDestinationArn }],
          }),
        );
      }
    });
    after(async () => {
      await h.close();
      await orders.close();
      await audit.close();
    });

    test("an archive keeps the bus's events that match its pattern, fed by a managed rule", async () => {
      const created = await t.client.send(
        new CreateArchiveCommand({
          ArchiveName: "placed",
          EventSourceArn: busArn,
          EventPattern: '{"detail-type":["Order Placed"]}',
          RetentionDays: 30,
        }),
      );
      archiveArn = created.ArchiveArn!;
      assert.equal(archiveArn, `arn:aws:events:us-east-1:${t.accountId}:archive/placed`);
      assert.equal(created.State, "ENABLED");
      sentAt.start = Math.floor(Date.now() / 1000) - 1;
      for (const [type, n] of [
        ["Order Placed", 1],
        ["Order Shipped", 2],
        ["Order Placed", 3],
      ] as const) {
        await t.client.send(
          new PutEventsCommand({
            Entries: [
              { EventBusName: "shop", Source: "shop", DetailType: type, Detail: JSON.stringify({ n }) },
            ],
          }),
        );
      }
      sentAt.end = Math.ceil(Date.now() / 1000) + 1;
      await orders.waitFor(2);
      await audit.waitFor(3);
      const described = await t.client.send(new DescribeArchiveCommand({ ArchiveName: "placed" }));
      assert.equal(described.EventCount, 2);
      assert.ok(described.SizeBytes! > 0);
      assert.equal(described.EventSourceArn, busArn);
      assert.equal(described.RetentionDays, 30);
      const rules = await t.client.send(new ListRulesCommand({ EventBusName: "shop" }));
      const managed = rules.Rules!.find((r) => r.Name === "Events-Archive-placed");
      assert.ok(managed?.ManagedBy);
      await rejects(
        t.client.send(new DeleteRuleCommand({ Name: "Events-Archive-placed", EventBusName: "shop" })),
        "ManagedRuleException",
        400,
      );
      await rejects(
        t.client.send(
          new PutRuleCommand({
            Name: "Events-Archive-placed",
            EventBusName: "shop",
            EventPattern: '{"source":["x"]}',
          }),
        ),
        "ManagedRuleException",
        400,
      );
      const listed = await t.client.send(new ListArchivesCommand({}));
      assert.deepEqual(
        listed.Archives?.map((a) => [a.ArchiveName, a.EventCount]),
        [["placed", 2]],
      );
    });

    test("a replay of the archive's window sends its events again, marked with replay-name, and archives nothing", async () => {
      const before = { orders: orders.received.length, audit: audit.received.length };
      const started = await t.client.send(
        new StartReplayCommand({
          ReplayName: "again",
          EventSourceArn: archiveArn,
          EventStartTime: new Date(sentAt.start * 1000),
          EventEndTime: new Date(Math.min(sentAt.end * 1000, Date.now())),
          Destination: {
            Arn: busArn,
            FilterArns: [`arn:aws:events:us-east-1:${t.accountId}:rule/shop/orders`],
          },
        }),
      );
      assert.equal(started.ReplayArn, `arn:aws:events:us-east-1:${t.accountId}:replay/again`);
      assert.equal(started.State, "STARTING");
      const done = await eventually(async () => {
        const r = await t.client.send(new DescribeReplayCommand({ ReplayName: "again" }));
        return r.State === "COMPLETED" ? r : undefined;
      });
      assert.ok(done.EventLastReplayedTime instanceof Date);
      const replayed = await orders.waitFor(before.orders + 2);
      const bodies = replayed.slice(before.orders).map((r) => JSON.parse(r.body));
      // Events of the same second replay in id order: compare as a set.
      assert.deepEqual(bodies.map((b) => [b["replay-name"], b.detail.n]).sort(), [
        ["again", 1],
        ["again", 3],
      ]);
      // FilterArns named only the orders rule: the audit rule got nothing more.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(audit.received.length, before.audit);
      assert.equal(
        (await t.client.send(new DescribeArchiveCommand({ ArchiveName: "placed" }))).EventCount,
        2,
      );
      const replays = await t.client.send(new ListReplaysCommand({}));
      assert.deepEqual(
        replays.Replays?.map((r) => [r.ReplayName, r.State]),
        [["again", "COMPLETED"]],
      );
      await rejects(
        t.client.send(new CancelReplayCommand({ ReplayName: "again" })),
        "IllegalStatusException",
        400,
      );
    });

    test("Tollgate's StartReplayToTarget replays an archive window to one target only", async () => {
      const before = { orders: orders.received.length, audit: audit.received.length };
      const started = await h.json(
        "StartReplayToTarget",
        {
          ReplayName: "to-audit",
          EventSourceArn: archiveArn,
          EventStartTime: sentAt.start,
          EventEndTime: Math.min(sentAt.end, Date.now() / 1000),
          Destination: { Arn: busArn },
          Rule: "audit",
          TargetId: "http",
        },
        t.token,
      );
      assert.equal(started.status, 200, JSON.stringify(started.body));
      await audit.waitFor(before.audit + 2);
      await eventually(async () => {
        const r = await t.client.send(new DescribeReplayCommand({ ReplayName: "to-audit" }));
        return r.State === "COMPLETED" ? r : undefined;
      });
      assert.equal(orders.received.length, before.orders);
    });

    test("bad replays and archives are 400s that change nothing", async () => {
      const other = await t.client.send(new CreateEventBusCommand({ Name: "other" }));
      const now = Date.now();
      const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
        [
          () =>
            t.client.send(
              new StartReplayCommand({
                ReplayName: "cross",
                EventSourceArn: archiveArn,
                EventStartTime: new Date(now - 60_000),
                EventEndTime: new Date(now - 1000),
                Destination: { Arn: other.EventBusArn },
              }),
            ),
          "ValidationException",
          /Cross event bus replay is not permitted/,
        ],
        [
          () =>
            t.client.send(
              new StartReplayCommand({
                ReplayName: "backwards",
                EventSourceArn: archiveArn,
                EventStartTime: new Date(now - 1000),
                EventEndTime: new Date(now - 60_000),
                Destination: { Arn: busArn },
              }),
            ),
          "ValidationException",
          /EventStartTime must be before EventEndTime/,
        ],
        [
          () =>
            t.client.send(
              new StartReplayCommand({
                ReplayName: "nothing",
                EventSourceArn: `arn:aws:events:us-east-1:${t.accountId}:archive/missing`,
                EventStartTime: new Date(now - 60_000),
                EventEndTime: new Date(now - 1000),
                Destination: { Arn: busArn },
              }),
            ),
          "ResourceNotFoundException",
          /Archive missing does not exist/,
        ],
        [
          () => t.client.send(new CreateArchiveCommand({ ArchiveName: "placed", EventSourceArn: busArn })),
          "ResourceAlreadyExistsException",
          /already exists/,
        ],
        [
          () =>
            t.client.send(
              new CreateArchiveCommand({ ArchiveName: "bad", EventSourceArn: busArn, EventPattern: "{x" }),
            ),
          "InvalidEventPatternException",
          /Event pattern is not valid/,
        ],
      ];
      for (const [call, name, message] of cases) assert.match(await rejects(call(), name, 400), message);
      const replays = await t.client.send(new ListReplaysCommand({}));
      assert.deepEqual(replays.Replays?.map((r) => r.ReplayName).sort(), ["again", "to-audit"]);
      assert.deepEqual(
        (await t.client.send(new ListArchivesCommand({}))).Archives?.map((a) => a.ArchiveName),
        ["placed"],
      );
    });

    test("an archive is updated and deleted with its managed rule and its events", async () => {
      await t.client.send(
        new UpdateArchiveCommand({ ArchiveName: "placed", RetentionDays: 7, Description: "7 days" }),
      );
      const described = await t.client.send(new DescribeArchiveCommand({ ArchiveName: "placed" }));
      assert.equal(described.RetentionDays, 7);
      assert.equal(described.Description, "7 days");
      await t.client.send(new DeleteArchiveCommand({ ArchiveName: "placed" }));
      await rejects(
        t.client.send(new DescribeArchiveCommand({ ArchiveName: "placed" })),
        "ResourceNotFoundException",
        400,
      );
      const rules = await t.client.send(new ListRulesCommand({ EventBusName: "shop" }));
      assert.deepEqual(
        rules.Rules?.map((r) => r.Name),
        ["audit", "orders"],
      );
      const left = await h.tollgate.store.db
        .selectFrom("event_archive_events")
        .select("event_id")
        .where("account", "=", t.accountId)
        .execute();
      assert.deepEqual(left, []);
    });
  });
}
