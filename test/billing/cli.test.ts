import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
} from "@aws-sdk/client-api-gateway";
import { ManualClock } from "../../src/core/clock.js";
import { startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe("tollgate billing (the CLI, as a separate process against the admin API)", () => {
  let t: TestTollgate;
  let tenantId: string;

  /** Runs `tollgate billing ...` with the test server's endpoint and token. */
  function billing(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "billing", ...args],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            TOLLGATE_ENDPOINT: t.tollgate.adminUrl,
            TOLLGATE_ADMIN_TOKEN: t.tollgate.credentials.adminToken,
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  before(async () => {
    t = await startTestTollgate({ clock: new ManualClock(Date.UTC(2026, 3, 2)) });
    const plan = await t.apigateway.send(
      new CreateUsagePlanCommand({ name: "Gold", quota: { limit: 100_000, period: "MONTH", offset: 0 } }),
    );
    tenantId = (await t.admin("POST", "/tenants", { name: "zeta" })).body.id;
    const key = await t.apigateway.send(
      new CreateApiKeyCommand({ name: "zeta-key", enabled: true, customerId: tenantId }),
    );
    await t.apigateway.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: key.id!, keyType: "API_KEY" }),
    );
    await t.tollgate.store.db
      .insertInto("usage_counts")
      .values({
        day: "2026-03-20",
        key_id: key.id!,
        usage_plan_id: plan.id!,
        tenant_id: tenantId,
        rest_api_id: "a",
        stage: "dev",
        resource_path: "/",
        http_method: "GET",
        requests: 3_500,
      })
      .execute();
  });
  after(() => t.close());

  test("sets a price, subscribes, generates, exports, finalizes and reconciles a month", async () => {
    const price = await billing(
      "price",
      "set",
      "Gold",
      "--currency",
      "usd",
      "--fee",
      "30",
      "--included",
      "1000",
      "--tier",
      "1000:1",
      "--tier",
      "inf:0.5",
    );
    assert.equal(price.code, 0, price.stderr);
    assert.match(price.stdout, /Gold.*USD.*30\.00.*1000.*graduated 1000:1\.00 inf:0\.50/);
    const sub = await billing("subscribe", "zeta", "Gold", "--from", "2026-03-11");
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stdout, /2026-03-11/);

    const generated = await billing(
      "invoices",
      "generate",
      "--tenant",
      "zeta",
      "--period",
      "2026-03",
      "--json",
    );
    assert.equal(generated.code, 0, generated.stderr);
    const invoice = JSON.parse(generated.stdout);
    // 30.00 × 21 / 31 = 20.32; overage 3,500 − 677 = 2,823: 1,000 × 1.00 / 1,000 + 1,823 × 0.50 / 1,000 = 1.00 + 0.91
    assert.equal(invoice.total, "22.23");

    const exported = await billing("invoices", "export", "--period", "2026-03");
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, (await t.admin("GET", `/invoices/${invoice.id}?format=csv`)).body);
    const file = join(t.dataDir, "invoice.html");
    const html = await billing("invoices", "show", invoice.id, "--format", "html", "--output", file);
    assert.equal(html.code, 0, html.stderr);
    assert.match(readFileSync(file, "utf8"), /<title>Invoice \w+, zeta, 2026-03<\/title>/);

    const finalized = await billing("invoices", "finalize", invoice.id);
    assert.equal(finalized.code, 0, finalized.stderr);
    assert.match(finalized.stdout, /FINALIZED.*22\.23 USD/);
    const reconciled = await billing("reconcile", "zeta", "--period", "2026-03");
    assert.equal(reconciled.code, 0, reconciled.stderr);
    assert.match(reconciled.stdout, /3500.*3500.*true/);
    assert.match(reconciled.stdout, /The invoice agrees with the ledger\./);
  });

  test("creates a top-up product and buys it for a key named by the tenant's usual names", async () => {
    const product = await billing(
      "products",
      "create",
      "--name",
      "Extra 1k",
      "--requests",
      "1000",
      "--price",
      "5",
      "--currency",
      "USD",
      "--json",
    );
    assert.equal(product.code, 0, product.stderr);
    assert.equal(JSON.parse(product.stdout).price, "5.00");
    const bought = await billing(
      "topup",
      "zeta-key",
      "--plan",
      "Gold",
      "--product",
      "Extra 1k",
      "--quantity",
      "2",
    );
    assert.equal(bought.code, 0, bought.stderr);
    assert.match(bought.stdout, /2000.*10\.00 USD/);
    const listed = await billing("topups", "--tenant", "zeta", "--period", "2026-04", "--json");
    assert.deepEqual(
      JSON.parse(listed.stdout).map((t: { requests: number }) => t.requests),
      [2_000],
    );
    const negative = await billing(
      "topup",
      "zeta-key",
      "--plan",
      "Gold",
      "--product",
      "Extra 1k",
      "--quantity",
      "-1",
    );
    assert.notEqual(negative.code, 0);
    assert.match(negative.stderr, /Invalid --quantity '-1'/);
  });

  test("bad input fails with the server's message and a non-zero exit code", async () => {
    const currency = await billing("price", "set", "Gold", "--currency", "DOLLARS");
    assert.notEqual(currency.code, 0);
    assert.match(currency.stderr, /Invalid currency 'DOLLARS'.*\[BadRequestException\]/);
    const tier = await billing("price", "set", "Gold", "--currency", "USD", "--tier", "1000:1:2");
    assert.match(tier.stderr, /Invalid --tier '1000:1:2'/);
    const neither = await billing("invoices", "generate", "--period", "2026-03");
    assert.match(neither.stderr, /Give either --tenant or --all/);
    const unknown = await billing("invoices", "generate", "--tenant", "nobody", "--period", "2026-03");
    assert.match(unknown.stderr, /No tenant has the id or name 'nobody'/);
    assert.equal((await t.admin("GET", "/usageplans")).body.item.length, 1);
    assert.equal((await t.admin("GET", `/invoices?tenantId=${tenantId}`)).body.item.length, 1);
  });
});
