import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EventBridgeClient, ListEventBusesCommand } from "@aws-sdk/client-eventbridge";
import { type EventsHarness, startEvents } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

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
    const created = await cli(
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
      const listed = await cli(["events", "credentials", "list", tenant.id], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(issued.accessKeyId));
      assert.doesNotMatch(listed.stdout, new RegExp(issued.secretAccessKey.slice(0, 12)));
      const revoked = await cli(["events", "credentials", "revoke", tenant.id, issued.accessKeyId], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      await assert.rejects(client.send(new ListEventBusesCommand({})), {
        name: "UnrecognizedClientException",
      });
    } finally {
      client.destroy();
    }
  });
});
