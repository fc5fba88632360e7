import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { rejects } from "../helpers/sdk.js";
import { DIALECTS } from "../helpers/tollgate.js";
import { type EventsHarness, startEvents } from "./harness.js";

for (const dialect of DIALECTS) {
  describe(`${dialect}: event buses, rules and targets through @aws-sdk/client-eventbridge`, () => {
    let h: EventsHarness;
    before(async () => {
      h = await startEvents({ dialect });
    });
    after(() => h.close());

    test("a custom bus is created, described and listed beside the default bus, with AWS's ARN", async () => {
      const created = await h.operator.send(
        new CreateEventBusCommand({ Name: "orders", Description: "shop orders" }),
      );
      assert.equal(created.EventBusArn, "arn:aws:events:us-east-1:000000000000:event-bus/orders");
      const described = await h.operator.send(new DescribeEventBusCommand({ Name: "orders" }));
      assert.equal(described.Name, "orders");
      assert.equal(described.Description, "shop orders");
      assert.ok(described.CreationTime instanceof Date);
      assert.ok(Math.abs(described.CreationTime.getTime() - Date.now()) < 60_000);
      const byArn = await h.operator.send(new DescribeEventBusCommand({ Name: created.EventBusArn }));
      assert.equal(byArn.Arn, created.EventBusArn);
      const listed = await h.operator.send(new ListEventBusesCommand({}));
      assert.deepEqual(
        listed.EventBuses?.map((b) => b.Name),
        ["default", "orders"],
      );
      await rejects(
        h.operator.send(new CreateEventBusCommand({ Name: "orders" })),
        "ResourceAlreadyExistsException",
        400,
      );
    });

    test("a rule with a pattern is put, described, listed, disabled, enabled and its targets managed", async () => {
      const pattern = JSON.stringify({ source: ["shop"], "detail-type": ["Order Placed"] });
      const put = await h.operator.send(
        new PutRuleCommand({
          Name: "placed",
          EventBusName: "orders",
          EventPattern: pattern,
          Description: "new orders",
        }),
      );
      assert.equal(put.RuleArn, "arn:aws:events:us-east-1:000000000000:rule/orders/placed");
      const rule = await h.operator.send(new DescribeRuleCommand({ Name: "placed", EventBusName: "orders" }));
      assert.equal(rule.EventPattern, pattern);
      assert.equal(rule.State, "ENABLED");
      assert.equal(rule.EventBusName, "orders");
      assert.equal(rule.CreatedBy, "000000000000");

      await h.operator.send(new DisableRuleCommand({ Name: "placed", EventBusName: "orders" }));
      assert.equal(
        (await h.operator.send(new DescribeRuleCommand({ Name: "placed", EventBusName: "orders" }))).State,
        "DISABLED",
      );
      await h.operator.send(new EnableRuleCommand({ Name: "placed", EventBusName: "orders" }));

      const listed = await h.operator.send(new ListRulesCommand({ EventBusName: "orders" }));
      assert.deepEqual(
        listed.Rules?.map((r) => [r.Name, r.State]),
        [["placed", "ENABLED"]],
      );

      const busArn = "arn:aws:events:us-east-1:000000000000:event-bus/default";
      const targets = await h.operator.send(
        new PutTargetsCommand({
          Rule: "placed",
          EventBusName: "orders",
          Targets: [
            {
              Id: "to-default",
              Arn: busArn,
              RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
            },
          ],
        }),
      );
      assert.equal(targets.FailedEntryCount, 0);
      const list = await h.operator.send(
        new ListTargetsByRuleCommand({ Rule: "placed", EventBusName: "orders" }),
      );
      assert.deepEqual(list.Targets, [
        {
          Id: "to-default",
          Arn: busArn,
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
        },
      ]);

      const refused = await rejects(
        h.operator.send(new DeleteRuleCommand({ Name: "placed", EventBusName: "orders" })),
        "ValidationException",
        400,
      );
      assert.equal(refused, "Rule can't be deleted since it has targets.");
      await h.operator.send(
        new RemoveTargetsCommand({ Rule: "placed", EventBusName: "orders", Ids: ["to-default"] }),
      );
      await h.operator.send(new DeleteRuleCommand({ Name: "placed", EventBusName: "orders" }));
      await rejects(
        h.operator.send(new DescribeRuleCommand({ Name: "placed", EventBusName: "orders" })),
        "ResourceNotFoundException",
        400,
      );
    });

    test("deleting a bus takes its rules with it; the default bus cannot be deleted", async () => {
      await h.operator.send(new CreateEventBusCommand({ Name: "temporary" }));
      await h.operator.send(
        new PutRuleCommand({ Name: "r", EventBusName: "temporary", EventPattern: '{"source":["x"]}' }),
      );
      await h.operator.send(new DeleteEventBusCommand({ Name: "temporary" }));
      await rejects(
        h.operator.send(new DescribeEventBusCommand({ Name: "temporary" })),
        "ResourceNotFoundException",
        400,
      );
      await rejects(
        h.operator.send(new ListRulesCommand({ EventBusName: "temporary" })),
        "ResourceNotFoundException",
        400,
      );
      const message = await rejects(
        h.operator.send(new DeleteEventBusCommand({ Name: "default" })),
        "ValidationException",
        400,
      );
      assert.equal(message, "Cannot delete event bus default.");
    });

    test("bad inputs are each a clear 400 and change nothing", async () => {
      const before = await h.operator.send(new ListRulesCommand({}));
      const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
        [
          () => h.operator.send(new PutRuleCommand({ Name: "bad name!", EventPattern: '{"source":["a"]}' })),
          "ValidationException",
          /at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern/,
        ],
        [
          () =>
            h.operator.send(new PutRuleCommand({ Name: "x".repeat(65), EventPattern: '{"source":["a"]}' })),
          "ValidationException",
          /Member must have length less than or equal to 64/,
        ],
        [
          () => h.operator.send(new PutRuleCommand({ Name: "none" })),
          "ValidationException",
          /EventPattern or ScheduleExpression/,
        ],
        [
          () => h.operator.send(new PutRuleCommand({ Name: "badjson", EventPattern: "{not json" })),
          "InvalidEventPatternException",
          /Event pattern is not valid/,
        ],
        [
          () =>
            h.operator.send(
              new PutRuleCommand({
                Name: "nobus",
                EventBusName: "missing",
                EventPattern: '{"source":["a"]}',
              }),
            ),
          "ResourceNotFoundException",
          /Event bus missing does not exist/,
        ],
        [
          () =>
            h.operator.send(
              new PutTargetsCommand({
                Rule: "missing-rule",
                Targets: [{ Id: "t", Arn: "arn:aws:events:us-east-1:000000000000:event-bus/default" }],
              }),
            ),
          "ResourceNotFoundException",
          /Rule missing-rule does not exist on EventBus default/,
        ],
        [
          () => h.operator.send(new CreateEventBusCommand({ Name: "a/b" })),
          "ValidationException",
          /must not contain/,
        ],
      ];
      for (const [call, name, message] of cases) {
        const text = await rejects(call(), name, 400);
        assert.match(text, message);
      }
      await h.operator.send(new PutRuleCommand({ Name: "keep", EventPattern: '{"source":["a"]}' }));
      const target = { Id: "t1", Arn: "arn:aws:events:us-east-1:000000000000:event-bus/orders" };
      const badTargets: Array<[unknown[], RegExp]> = [
        [[{ Id: "t2", Arn: "arn:aws:lambda:us-east-1:000000000000:function:f" }], /Arn is not valid/],
        [[{ ...target, Input: "{not json" }], /Input is not valid JSON/],
        [
          [{ ...target, Input: "{}", InputPath: "$.detail" }],
          /only one of Input, InputPath, or InputTransformer/,
        ],
        [
          [
            {
              ...target,
              InputTransformer: { InputTemplate: '{"a": <x> <y>}', InputPathsMap: { x: "$.detail" } },
            },
          ],
          /InputTemplate is not valid JSON/,
        ],
        [[{ ...target, RetryPolicy: { MaximumRetryAttempts: 186 } }], /less than or equal to 185/],
        [[{ ...target, RetryPolicy: { MaximumEventAgeInSeconds: 59 } }], /greater than or equal to 60/],
        [[target, target], /specified more than once/],
        [
          Array.from({ length: 6 }, (_, i) => ({ ...target, Id: `t${i}` })),
          /exceeds the maximum number allowed/,
        ],
      ];
      for (const [targets, message] of badTargets) {
        const e = await h.json("PutTargets", { Rule: "keep", Targets: targets });
        assert.equal(e.status, 400, JSON.stringify(e.body));
        assert.match(e.body.message, message);
      }
      const none = await h.operator.send(new ListTargetsByRuleCommand({ Rule: "keep" }));
      assert.deepEqual(none.Targets, []);
      await h.operator.send(new DeleteRuleCommand({ Name: "keep" }));
      assert.deepEqual((await h.operator.send(new ListRulesCommand({}))).Rules, before.Rules);
    });

    test("TestEventPattern answers through the SDK and refuses a pattern that is not JSON", async () => {
      const event = JSON.stringify({
        id: "1",
        source: "shop",
        "detail-type": "Order Placed",
        account: "000000000000",
        time: "2026-01-01T00:00:00Z",
        region: "us-east-1",
        resources: [],
        detail: {},
      });
      const answer = await h.operator.send(
        new TestEventPatternCommand({ EventPattern: '{"source":["shop"]}', Event: event }),
      );
      assert.equal(typeof answer.Result, "boolean");
      await rejects(
        h.operator.send(new TestEventPatternCommand({ EventPattern: "[", Event: event })),
        "InvalidEventPatternException",
        400,
      );
    });

    test("an unknown operation and a body that is not JSON are 400s in the awsJson shape", async () => {
      const unknown = await h.json("NoSuchThing", {});
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.__type, "UnknownOperationException");
      const broken = await h.json("ListRules", "{");
      assert.equal(broken.status, 400);
      assert.equal(broken.body.__type, "SerializationException");
    });
  });
}
