import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { spawnTollgate } from "../helpers/process.js";

const SLOW_API = (upstream: string) => `openapi: 3.0.3
info: { title: Slow, version: "1" }
components:
  securitySchemes:
    api_key: { type: apiKey, name: x-api-key, in: header }
security:
  - api_key: []
paths:
  /wait:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://${upstream}/wait"
      responses:
        "200": { description: ok }
`;

function get(url: string, key: string): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { "x-api-key": key } }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection as string }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("tollgate serve: graceful shutdown", () => {
  test("a slow request in flight when SIGTERM arrives completes with 200, the process exits 0, and its usage is in the store", async () => {
    // The upstream answers after 1.5 s.
    const upstream: Server = createServer((req, res) => {
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"done":true}');
      }, 1500);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const dataDir = mkdtempSync(join(tmpdir(), "tollgate-shutdown-"));
    // SQLite only: the test reads the file the process leaves behind.
    const env = { TOLLGATE_DATABASE_URL: "" };
    const tollgate = await spawnTollgate({ dataDir, env });
    try {
      const host = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      const api = await tollgate.admin("POST", "/restapis?mode=import", SLOW_API(host));
      await tollgate.admin("POST", `/restapis/${api.id}/deployments`, { stageName: "dev" });
      const tenant = await tollgate.admin("POST", "/tenants", { name: "acme" });
      const plan = await tollgate.admin("POST", "/usageplans", {
        name: "p",
        quota: { limit: 100, period: "DAY" },
        apiStages: [{ apiId: api.id, stage: "dev" }],
      });
      const key = await tollgate.admin("POST", "/apikeys", {
        name: "k",
        enabled: true,
        customerId: tenant.id,
      });
      await tollgate.admin("POST", `/usageplans/${plan.id}/keys`, { keyId: key.id, keyType: "API_KEY" });
      await new Promise((r) => setTimeout(r, 1000)); // the gateway reloads

      const exited = new Promise<number | null>((resolve) =>
        tollgate.child.once("exit", (code) => resolve(code)),
      );
      const inFlight = get(`${tollgate.gatewayUrl}/dev/wait`, key.value);
      await new Promise((r) => setTimeout(r, 400));
      tollgate.child.kill("SIGTERM");
      const answer = await inFlight;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '{"done":true}');
      // The connection is not kept for another request once the server is closing.
      assert.equal(answer.connection, "close");
      const started = Date.now();
      assert.equal(await exited, 0);
      assert.ok(Date.now() - started < 5000, "the process exits soon after the last answer");
      // A new request finds no gateway.
      await assert.rejects(get(`${tollgate.gatewayUrl}/dev/wait`, key.value));

      const db = new Database(join(dataDir, "tollgate.db"), { readonly: true });
      try {
        const counted = db
          .prepare("select sum(requests) as n from usage_counts where key_id = ?")
          .get(key.id) as { n: number };
        assert.equal(counted.n, 1);
        const stats = db
          .prepare("select status, sum(requests) as n from usage_stats where key_id = ? group by status")
          .all(key.id) as Array<{ status: number; n: number }>;
        assert.deepEqual(stats, [{ status: 200, n: 1 }]);
      } finally {
        db.close();
      }
    } finally {
      if (tollgate.child.exitCode === null) await tollgate.kill();
      upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
