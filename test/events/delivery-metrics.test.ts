import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DescribeConnectionCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { parsePrometheusText } from "../helpers/prometheus.js";
import { type EventsHarness, startEvents, type TestTenant } from "./harness.js";
import { eventually, startReceiver } from "./receiver.js";

describe("event deliveries in the Prometheus metrics", () => {
  let h: EventsHarness;
  let tenant: TestTenant;
  before(async () => {
    h = await startEvents();
    tenant = await h.tenant("metrics");
  });
  after(async () => {
    await h.close();
  });

  test("each delivery attempt is counted by outcome: a 500 then a 200 is one RETRYING and one SUCCEEDED", async () => {
    const receiver = await startReceiver();
    try {
      receiver.answer((n) => ({ status: n === 1 ? 500 : 200 }));
      const client = tenant.client;
      await client.send(
        new CreateConnectionCommand({
          Name: "m-conn",
          AuthorizationType: "API_KEY",
          AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-api-key", ApiKeyValue: "secret" } },
        }),
      );
      const conn = await client.send(new DescribeConnectionCommand({ Name: "m-conn" }));
      const dest = await client.send(
        new CreateApiDestinationCommand({
          Name: "m",
          ConnectionArn: conn.ConnectionArn,
          InvocationEndpoint: receiver.url,
          HttpMethod: "POST",
        }),
      );
      await client.send(new PutRuleCommand({ Name: "m", EventPattern: JSON.stringify({ source: ["m"] }) }));
      await client.send(
        new PutTargetsCommand({ Rule: "m", Targets: [{ Id: "http", Arn: dest.ApiDestinationArn }] }),
      );
      await client.send(
        new PutEventsCommand({
          Entries: [{ Source: "m", DetailType: "Test", Detail: JSON.stringify({ n: 1 }) }],
        }),
      );
      await receiver.waitFor(2);
      const scrape = await eventually(async () => {
        const m = parsePrometheusText(await (await fetch(`${h.tollgate.adminUrl}/metrics`)).text());
        return m.sum("tollgate_event_deliveries_total", { outcome: "SUCCEEDED" }) === 1 ? m : undefined;
      });
      assert.equal(scrape.types.get("tollgate_event_deliveries_total"), "counter");
      assert.equal(scrape.sum("tollgate_event_deliveries_total", { outcome: "RETRYING" }), 1);
      assert.equal(scrape.sum("tollgate_event_deliveries_total", { outcome: "FAILED" }), 0);
    } finally {
      await receiver.close();
    }
  });
});
