import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EventBridgeClient, ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import { runCli } from "../helpers/process.js";
import { type EventsHarness, startEvents } from "./harness.js";

describe("tollgate events credentials", () => {
  let h: EventsHarness;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    h = await startEvents();
    env = { TOLLGATE_ENDPOINT: h.tollgate.adminUrl, TOLLGATE_ADMIN_TOKEN: h.tollgate.credentials.adminToken };
  });
  after(() => h.close());

  test("issues a tenant credentials that work with the SDK, lists and revokes them", async () => {
    const tenant = (await h.admin("POST", "/tenants", { name: "cli-tenant" })).body;
    const created = await runCli(
      ["events", "credentials", "create", tenant.id, "--description", "ci", "--json"],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const issued = JSON.parse(created.stdout);
    assert.match(issued.accountId, /^\d{12}$/);
    const client = new EventBridgeClient({
      endpoint: h.tollgate.adminUrl,
      region: "us-east-1",
      credentials: { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey },
      maxAttempts: 1,
    });
    try {
      const buses = await client.send(new ListEventBusesCommand({}));
      assert.equal(
        buses.EventBuses?.[0]?.Arn,
        `arn:aws:events:us-east-1:${issued.accountId}:event-bus/default`,
      );
      const listed = await runCli(["events", "credentials", "list", tenant.id], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(issued.accessKeyId));
      assert.doesNotMatch(listed.stdout, new RegExp(issued.secretAccessKey.slice(0, 12)));
      const revoked = await runCli(["events", "credentials", "revoke", tenant.id, issued.accessKeyId], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      await assert.rejects(client.send(new ListEventBusesCommand({})), {
        name: "UnrecognizedClientException",
      });
    } finally {
      client.destroy();
    }
  });
});
