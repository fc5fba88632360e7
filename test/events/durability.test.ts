import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../../src/store/index.js";
import { spawnTollgate, TEST_ADMIN_TOKEN, type TollgateProcess } from "../helpers/process.js";
import { DIALECTS, freshPostgresDatabase } from "../helpers/tollgate.js";
import { startReceiver } from "./receiver.js";

const ENV = {
  TOLLGATE_EVENTS_ALLOW_HTTP: "true",
  TOLLGATE_EVENTS_ALLOW_PRIVATE_TARGETS: "true",
  TOLLGATE_EVENTS_RETRY_BASE_MS: "50",
  TOLLGATE_EVENTS_RETRY_MAX_MS: "200",
  // A killed process's claimed deliveries come due again this soon after the restart.
  TOLLGATE_EVENTS_LEASE_MS: "1500",
};

/** An EventBridge call with the operator's bearer token. */
// biome-ignore lint/suspicious/noExplicitAny: raw protocol answers
async function call(p: TollgateProcess, operation: string, body: unknown): Promise<any> {
  const response = await fetch(`${p.adminUrl}/`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSEvents.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${operation}: ${response.status} ${text}`);
  return JSON.parse(text);
}

for (const dialect of DIALECTS) {
  test(`${dialect}: after a SIGKILL with events in flight and a restart, every accepted event is delivered`, async () => {
    const database = dialect === "postgres" ? await freshPostgresDatabase() : undefined;
    const env = { ...ENV, ...(database ? { TOLLGATE_DATABASE_URL: database.url } : {}) };
    const receiver = await startReceiver();
    // Slow and sometimes failing: at the kill, deliveries are in flight, queued and waiting to retry.
    receiver.answer((n) => ({ status: n % 7 === 0 ? 503 : 200, holdMs: 20 }));
    const dataDir = mkdtempSync(join(tmpdir(), "tollgate-events-kill-"));
    let tollgate = await spawnTollgate({ dataDir, env });
    try {
      const conn = await call(tollgate, "CreateConnection", {
        Name: "c",
        AuthorizationType: "API_KEY",
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-k", ApiKeyValue: "v" } },
      });
      const dest = await call(tollgate, "CreateApiDestination", {
        Name: "sink",
        ConnectionArn: conn.ConnectionArn,
        InvocationEndpoint: receiver.url,
        HttpMethod: "POST",
      });
      await call(tollgate, "PutRule", { Name: "all", EventPattern: '{"source":["load"]}' });
      await call(tollgate, "PutTargets", {
        Rule: "all",
        Targets: [{ Id: "sink", Arn: dest.ApiDestinationArn }],
      });

      const accepted = new Set<string>();
      let running = true;
      const current = () => tollgate;
      const producers = Array.from({ length: 4 }, async (_, p) => {
        for (let i = 0; running; i++) {
          try {
            const answer = await call(current(), "PutEvents", {
              Entries: Array.from({ length: 10 }, (_, j) => ({
                Source: "load",
                DetailType: "tick",
                Detail: JSON.stringify({ p, i, j }),
              })),
            });
            for (const e of answer.Entries) if (e.EventId) accepted.add(e.EventId);
          } catch {
            // The process is down: what it did not answer was not accepted.
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      });
      while (accepted.size < 300) await new Promise((r) => setTimeout(r, 10));
      const deliveredBeforeKill = new Set(receiver.received.map((r) => JSON.parse(r.body).id)).size;
      await tollgate.kill();
      running = false;
      await Promise.all(producers);
      assert.ok(deliveredBeforeKill < accepted.size, "the kill came with deliveries still to make");

      tollgate = await spawnTollgate({ dataDir, env });
      const deadline = Date.now() + 60_000;
      const delivered = () => new Set(receiver.received.map((r) => JSON.parse(r.body).id));
      while ([...accepted].some((id) => !delivered().has(id))) {
        if (Date.now() > deadline) {
          const missing = [...accepted].filter((id) => !delivered().has(id));
          assert.fail(`${missing.length} of ${accepted.size} accepted events were never delivered`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      // Deliveries made just before the kill whose outcome was not yet written are sent again
      // once their lease ends (at-least-once); wait until the queue has settled.
      while ((await call(tollgate, "ListDeliveries", { Status: "PENDING", Limit: 1 })).Deliveries.length) {
        if (Date.now() > deadline) assert.fail("deliveries still pending a minute after the restart");
        await new Promise((r) => setTimeout(r, 100));
      }
      await tollgate.stop();

      const store = await openStore({ dataDir, databaseUrl: database?.url });
      try {
        const rows = await store.db.selectFrom("event_deliveries").select(["event_id", "status"]).execute();
        const byEvent = new Map(rows.map((r) => [r.event_id, r.status]));
        for (const id of accepted) assert.equal(byEvent.get(id), "DELIVERED", `delivery of ${id}`);
      } finally {
        await store.close();
      }
    } finally {
      await tollgate.stop().catch(() => {});
      await receiver.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
