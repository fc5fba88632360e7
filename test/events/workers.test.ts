import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { EventsSettings } from "../../src/events/index.js";
import { resolveSettings, startTollgate, type Tollgate } from "../../src/server/index.js";
import { freshPostgresDatabase } from "../helpers/tollgate.js";
import { FAST_EVENTS } from "./harness.js";
import { startReceiver } from "./receiver.js";

/** A Tollgate on a shared PostgreSQL database (its own data directory and ports). */
async function node(
  databaseUrl: string,
  events: Partial<EventsSettings>,
): Promise<{ tollgate: Tollgate; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-worker-"));
  const settings = {
    ...resolveSettings(
      { dataDir: dir, adminPort: 0, gatewayPort: 0, portalPort: 0, quickstart: false, accessLog: "off" },
      {},
    ),
    databaseUrl,
  };
  return { tollgate: await startTollgate(settings, { events: { ...FAST_EVENTS, ...events } }), dir };
}

test("postgres: two worker processes share one queue (FOR UPDATE SKIP LOCKED): each delivery is made once, by one of them", {
  skip: !process.env.TOLLGATE_TEST_DATABASE_URL && "TOLLGATE_TEST_DATABASE_URL is not set",
}, async () => {
  // Every node must seal and open secrets alike.
  process.env.TOLLGATE_SERVER_SECRET = "shared-server-secret-for-the-worker-test";
  const database = await freshPostgresDatabase();
  const receiver = await startReceiver();
  receiver.answer(() => ({ status: 200, holdMs: 5 }));
  const nodes: Array<{ tollgate: Tollgate; dir: string }> = [];
  try {
    // The first node only accepts events; the two others only deliver.
    nodes.push(await node(database.url, { worker: false }));
    nodes.push(await node(database.url, { perDestinationConcurrency: 4 }));
    nodes.push(await node(database.url, { perDestinationConcurrency: 4 }));
    const events = nodes[0]!.tollgate.services.events;
    const scope = await events.scopeOf({ kind: "operator" });
    const conn = await events.connections.create(scope, {
      Name: "c",
      AuthorizationType: "API_KEY",
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: "x-k", ApiKeyValue: "v" } },
    });
    const dest = await events.destinations.create(scope, {
      Name: "sink",
      ConnectionArn: conn.ConnectionArn,
      InvocationEndpoint: receiver.url,
      HttpMethod: "POST",
    });
    await events.rules.put(scope, { Name: "all", EventPattern: '{"source":["shared"]}' });
    await events.putTargets(scope, { Rule: "all", Targets: [{ Id: "sink", Arn: dest.ApiDestinationArn }] });
    const total = 300;
    for (let i = 0; i < total; i += 10) {
      const answer = await events.ingest.putEvents(
        scope,
        Array.from({ length: 10 }, (_, j) => ({
          Source: "shared",
          DetailType: "t",
          Detail: JSON.stringify({ n: i + j }),
        })),
      );
      assert.equal(answer.FailedEntryCount, 0);
    }
    await receiver.waitFor(total, 60_000);
    await Promise.all(nodes.slice(1).map((n) => n.tollgate.services.events.worker.drained()));
    await new Promise((r) => setTimeout(r, 200));
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    assert.equal(ids.length, total, "no delivery was made twice");
    assert.equal(new Set(ids).size, total);
    const [b, c] = nodes.slice(1).map((n) => n.tollgate.services.events.worker.stats.attempts);
    assert.equal(b! + c!, total);
    assert.ok(b! > 0 && c! > 0, `both workers delivered (${b} and ${c})`);
  } finally {
    for (const n of nodes.reverse()) {
      await n.tollgate.close();
      rmSync(n.dir, { recursive: true, force: true });
    }
    await receiver.close();
    await database.drop();
  }
});
