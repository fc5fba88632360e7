import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { Webhook } from "standardwebhooks";
import { DIALECTS } from "../helpers/tollgate.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { eventually, type Receiver, startReceiver } from "./receiver.js";

/** A rule on the default bus with one API destination target pointing at `url`. */
async function endpoint(
  client: EventBridgeClient,
  name: string,
  url: string,
  options: { pattern?: object; target?: Partial<Target>; rateLimit?: number } = {},
): Promise<string> {
  await client.send(
    new CreateConnectionCommand({
      Name: `${name}-conn`,
      AuthorizationType: "API_KEY",
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: "x-api-key", ApiKeyValue: `${name}-secret-key` },
      },
    }),
  );
  const conn = await client.send(
    new (await import("@aws-sdk/client-eventbridge")).DescribeConnectionCommand({ Name: `${name}-conn` }),
  );
  const dest = await client.send(
    new CreateApiDestinationCommand({
      Name: name,
      ConnectionArn: conn.ConnectionArn,
      InvocationEndpoint: url,
      HttpMethod: "POST",
      ...(options.rateLimit ? { InvocationRateLimitPerSecond: options.rateLimit } : {}),
    }),
  );
  await client.send(
    new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(options.pattern ?? { source: [name] }) }),
  );
  await client.send(
    new PutTargetsCommand({
      Rule: name,
      Targets: [{ Id: "http", Arn: dest.ApiDestinationArn, ...options.target }],
    }),
  );
  return dest.ApiDestinationArn!;
}

function put(client: EventBridgeClient, source: string, detail: object, detailType = "Test") {
  return client.send(
    new PutEventsCommand({
      Entries: [{ Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }],
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: delivery to HTTP endpoints`, () => {
    let h: EventsHarness;
    let tenant: TestTenant;
    let receiver: Receiver;
    before(async () => {
      h = await startEvents({ dialect });
      tenant = await h.tenant(`deliveries-${dialect}`);
    });
    after(async () => {
      await h.close();
    });

    const deliveriesOf = async (token: string, filter: object) =>
      (await h.json("ListDeliveries", filter, token)).body.Deliveries;

    test("a rule with a pattern and an input transformer delivers signed events that verify with Standard Webhooks", async () => {
      receiver = await startReceiver();
      try {
        const arn = await endpoint(tenant.client, "orders", `${receiver.url}/hooks/*`, {
          pattern: { source: ["shop"], detail: { total: [{ numeric: [">", 100] }] } },
          target: {
            HttpParameters: { PathParameterValues: ["big-orders"], HeaderParameters: { "x-team": "sales" } },
            InputTransformer: {
              InputPathsMap: { id: "$.detail.orderId", total: "$.detail.total", type: "$.detail-type" },
              InputTemplate:
                '{"order": <id>, "amount": <total>, "summary": "Order <id> of <total> (<type>)", "rule": <aws.events.rule-name>}',
            },
          },
        });
        const rotated = await h.json("RotateWebhookSecret", { Name: "orders" }, tenant.token);
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        assert.match(rotated.body.Secret, /^whsec_[A-Za-z0-9+/=]+$/);
        assert.equal(rotated.body.ApiDestinationArn, arn);

        await put(tenant.client, "shop", { orderId: "o-1", total: 50 });
        const sent = await put(tenant.client, "shop", { orderId: "o-2", total: 250 }, "Order Placed");
        const [request] = await receiver.waitFor(1);
        assert.equal(request!.method, "POST");
        assert.equal(request!.url, "/hooks/big-orders");
        assert.equal(request!.headers["x-api-key"], "orders-secret-key");
        assert.equal(request!.headers["x-team"], "sales");
        assert.deepEqual(JSON.parse(request!.body), {
          order: "o-2",
          amount: 250,
          summary: "Order o-2 of 250 (Order Placed)",
          rule: "orders",
        });
        const wh = new Webhook(rotated.body.Secret);
        assert.doesNotThrow(() => wh.verify(request!.body, request!.headers as Record<string, string>));
        assert.throws(() => wh.verify(`${request!.body} `, request!.headers as Record<string, string>));

        const deliveries = await eventually(async () => {
          const list = await deliveriesOf(tenant.token, { Rule: "orders" });
          return list.length === 1 && list[0].Status === "DELIVERED" ? list : undefined;
        });
        assert.equal(deliveries[0].EventId, sent.Entries![0]!.EventId);
        assert.equal(request!.headers["webhook-id"], deliveries[0].DeliveryId);
        const described = await h.json(
          "DescribeDelivery",
          { DeliveryId: deliveries[0].DeliveryId },
          tenant.token,
        );
        assert.equal(described.body.Attempts.length, 1);
        assert.equal(described.body.Attempts[0].Outcome, "SUCCEEDED");
        assert.equal(described.body.Attempts[0].StatusCode, 200);
        assert.equal(typeof described.body.Attempts[0].LatencyMs, "number");
        assert.equal(JSON.parse(described.body.Event).id, sent.Entries![0]!.EventId);
        // Another tenant sees none of it.
        const other = await h.tenant(`nosy-${dialect}`);
        assert.deepEqual(await deliveriesOf(other.token, {}), []);
        const hidden = await h.json(
          "DescribeDelivery",
          { DeliveryId: deliveries[0].DeliveryId },
          other.token,
        );
        assert.equal(hidden.status, 400);
        assert.equal(hidden.body.__type, "ResourceNotFoundException");
      } finally {
        await receiver.close();
      }
    });

    test("during a secret rotation's overlap both signatures are sent, each verifying with its secret", async () => {
      receiver = await startReceiver();
      try {
        await endpoint(tenant.client, "rotating", receiver.url);
        const first = (await h.json("RotateWebhookSecret", { Name: "rotating" }, tenant.token)).body.Secret;
        const second = (
          await h.json("RotateWebhookSecret", { Name: "rotating", OverlapSeconds: 3600 }, tenant.token)
        ).body;
        assert.equal(second.Secrets.length, 2);
        assert.ok(second.Secrets[1].ExpirationTime > Date.now() / 1000);
        await put(tenant.client, "rotating", { n: 1 });
        const [request] = await receiver.waitFor(1);
        const signatures = String(request!.headers["webhook-signature"]).split(" ");
        assert.equal(signatures.length, 2);
        for (const secret of [first, second.Secret]) {
          assert.doesNotThrow(() =>
            new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>),
          );
        }
        // Overlap 0 retires every earlier secret at once.
        const third = (
          await h.json("RotateWebhookSecret", { Name: "rotating", OverlapSeconds: 0 }, tenant.token)
        ).body;
        assert.equal(third.Secrets.length, 1);
        await put(tenant.client, "rotating", { n: 2 });
        const [, next] = await receiver.waitFor(2);
        assert.equal(String(next!.headers["webhook-signature"]).split(" ").length, 1);
        assert.doesNotThrow(() =>
          new Webhook(third.Secret).verify(next!.body, next!.headers as Record<string, string>),
        );
        assert.throws(() =>
          new Webhook(second.Secret).verify(next!.body, next!.headers as Record<string, string>),
        );
      } finally {
        await receiver.close();
      }
    });

    test("a target that fails with 500 and 429 is retried with backoff, then delivered", async () => {
      receiver = await startReceiver();
      try {
        receiver.answer((n) => ({ status: n === 1 ? 500 : n === 2 ? 429 : 200 }));
        await endpoint(tenant.client, "flaky", receiver.url);
        await put(tenant.client, "flaky", { n: 1 });
        await receiver.waitFor(3);
        const delivered = await eventually(async () => {
          const [d] = await deliveriesOf(tenant.token, { Rule: "flaky" });
          return d?.Status === "DELIVERED" ? d : undefined;
        });
        assert.equal(delivered.Attempts, 3);
        const log = (await h.json("DescribeDelivery", { DeliveryId: delivered.DeliveryId }, tenant.token))
          .body.Attempts;
        assert.deepEqual(
          log.map((a: { Outcome: string; StatusCode: number }) => [a.Outcome, a.StatusCode]),
          [
            ["RETRYING", 500],
            ["RETRYING", 429],
            ["SUCCEEDED", 200],
          ],
        );
        // Every attempt is the same message: same webhook-id, same body.
        const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
        assert.equal(ids.size, 1);
        assert.ok(receiver.received[1]!.at - receiver.received[0]!.at >= 20, "the retry waited");
      } finally {
        await receiver.close();
      }
    });

    test("a target that keeps failing becomes a dead letter after its retries; redriven, it is delivered", async () => {
      receiver = await startReceiver();
      try {
        receiver.answer(() => ({ status: 503, body: '{"error":"down"}' }));
        await endpoint(tenant.client, "down", receiver.url, {
          target: { RetryPolicy: { MaximumRetryAttempts: 2 } },
        });
        const sent = await put(tenant.client, "down", { n: 1 });
        const dead = await eventually(async () => {
          const list = (await h.json("ListDeadLetters", { Rule: "down", TargetId: "http" }, tenant.token))
            .body.DeadLetters;
          return list.length ? list : undefined;
        });
        assert.equal(receiver.received.length, 3);
        assert.equal(dead[0].EventId, sent.Entries![0]!.EventId);
        assert.equal(dead[0].Attempts, 3);
        assert.equal(dead[0].LastStatusCode, 503);
        assert.match(dead[0].LastError, /HTTP 503: \{"error":"down"\} \(MaximumRetryAttempts 2 reached\)/);

        receiver.answer(() => ({ status: 204 }));
        const redriven = await h.json("RedriveDeadLetters", { Rule: "down", TargetId: "http" }, tenant.token);
        assert.deepEqual(redriven.body, { RedrivenCount: 1 });
        await receiver.waitFor(4);
        await eventually(async () => {
          const [d] = await deliveriesOf(tenant.token, { Rule: "down" });
          return d?.Status === "DELIVERED" ? d : undefined;
        });
        assert.deepEqual(
          (await h.json("ListDeadLetters", { Rule: "down", TargetId: "http" }, tenant.token)).body
            .DeadLetters,
          [],
        );
        assert.equal(receiver.received[3]!.body, receiver.received[0]!.body);
      } finally {
        await receiver.close();
      }
    });

    test("a 4xx answer other than 429 is not retried: the delivery is a dead letter at once", async () => {
      receiver = await startReceiver();
      try {
        receiver.answer(() => ({ status: 400, body: "bad payload" }));
        await endpoint(tenant.client, "rejects", receiver.url);
        await put(tenant.client, "rejects", { n: 1 });
        const [dead] = await eventually(async () => {
          const list = (await h.json("ListDeadLetters", { Rule: "rejects" }, tenant.token)).body.DeadLetters;
          return list.length ? list : undefined;
        });
        assert.equal(dead.Attempts, 1);
        assert.equal(dead.LastError, "HTTP 400: bad payload");
        assert.equal(receiver.received.length, 1);
      } finally {
        await receiver.close();
      }
    });

    test("one delivery is replayed to its target as a new delivery", async () => {
      receiver = await startReceiver();
      try {
        await endpoint(tenant.client, "replayed", receiver.url);
        await put(tenant.client, "replayed", { n: 7 });
        await receiver.waitFor(1);
        const [first] = await eventually(async () => {
          const list = await deliveriesOf(tenant.token, { Rule: "replayed" });
          return list[0]?.Status === "DELIVERED" ? list : undefined;
        });
        const replay = await h.json("ReplayDelivery", { DeliveryId: first.DeliveryId }, tenant.token);
        assert.equal(replay.status, 200);
        assert.notEqual(replay.body.DeliveryId, first.DeliveryId);
        const [, again] = await receiver.waitFor(2);
        assert.equal(again!.body, receiver.received[0]!.body);
        assert.equal(again!.headers["webhook-id"], replay.body.DeliveryId);
      } finally {
        await receiver.close();
      }
    });

    test("an endpoint that hangs does not delay another tenant's deliveries", async () => {
      const slow = await startReceiver();
      const fast = await startReceiver();
      let release = () => {};
      const hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      slow.answer(() => ({ status: 200, hold }));
      const other = await h.tenant(`fast-${dialect}`);
      try {
        await endpoint(tenant.client, "hanging", slow.url);
        await endpoint(other.client, "quick", fast.url);
        for (let i = 0; i < 20; i++) await put(tenant.client, "hanging", { i });
        await slow.waitFor(1);
        for (let i = 0; i < 10; i++) await put(other.client, "quick", { i });
        await fast.waitFor(10);
        // The hanging endpoint holds at most its lane's share; nothing of it has been answered.
        assert.ok(slow.received.length <= 8, `hanging endpoint got ${slow.received.length} requests at once`);
        const pending = (await deliveriesOf(tenant.token, { Rule: "hanging" })).filter(
          (d: { Status: string }) => d.Status === "PENDING",
        );
        assert.equal(pending.length, 20);
      } finally {
        release();
        await slow.close();
        await fast.close();
      }
    });

    test("InvocationRateLimitPerSecond spaces an API destination's requests", async () => {
      receiver = await startReceiver();
      try {
        await endpoint(tenant.client, "limited", receiver.url, { rateLimit: 2 });
        await tenant.client.send(
          new PutEventsCommand({
            Entries: Array.from({ length: 6 }, (_, i) => ({
              Source: "limited",
              DetailType: "t",
              Detail: `{"i":${i}}`,
            })),
          }),
        );
        const requests = await receiver.waitFor(6);
        const times = requests.map((r) => r.at).sort((a, b) => a - b);
        // Within any one second, at most the rate plus the first token.
        for (const start of times) {
          const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
          assert.ok(inWindow <= 3, `${inWindow} requests within one second at a limit of 2 per second`);
        }
      } finally {
        await receiver.close();
      }
    });
  });
}
