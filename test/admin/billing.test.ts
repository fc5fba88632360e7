import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
} from "@aws-sdk/client-api-gateway";
import Ajv2020 from "ajv/dist/2020.js";
import { ManualClock } from "../../src/core/clock.js";
import { DIALECTS, startTestTollgate, type TestTollgate } from "../helpers/tollgate.js";

const GOLD_PRICE = {
  currency: "USD",
  monthlyFee: "30.00",
  includedRequests: 1_000,
  tiersMode: "GRADUATED",
  tiers: [{ upTo: 1_000, unitAmount: "1" }, { unitAmount: "0.5" }],
};

for (const dialect of DIALECTS) {
  describe(`${dialect}: billing admin API`, () => {
    const clock = new ManualClock(Date.UTC(2026, 3, 2, 8));
    const ajv = new Ajv2020.default({ strict: false });
    let t: TestTollgate;
    let doc: {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
    };
    let planId: string;
    let keyId: string;
    let tenantId: string;

    /** Asserts the status and that a JSON body matches the schema the admin OpenAPI document gives. */
    async function call(method: string, path: string, template: string, status: number, body?: unknown) {
      const r = await t.admin(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
      const schema =
        doc.paths[template]?.[method.toLowerCase()]?.responses[String(status)]?.content?.["application/json"]
          ?.schema;
      if (schema) {
        const validate = ajv.compile(schema);
        assert.ok(validate(r.body), `${method} ${template}: ${ajv.errorsText(validate.errors)}`);
      }
      return r.body;
    }

    /** Asserts an AWS-shaped error: status, x-amzn-ErrorType and a message. */
    async function fails(method: string, path: string, body: unknown, status: number, message: RegExp) {
      const r = await t.admin(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
      const type = { 400: "BadRequestException", 404: "NotFoundException", 409: "ConflictException" }[status];
      assert.equal(r.headers.get("x-amzn-errortype"), type);
      assert.match(r.body.message, message);
    }

    before(async () => {
      t = await startTestTollgate({ dialect, clock });
      doc = (await t.admin("GET", "/openapi.json", undefined, { auth: false })).body;
      const plan = await t.apigateway.send(
        new CreateUsagePlanCommand({ name: "Gold", quota: { limit: 100_000, period: "MONTH", offset: 0 } }),
      );
      planId = plan.id!;
      tenantId = (await t.admin("POST", "/tenants", { name: "Zeta, Inc." })).body.id;
      keyId = (
        await t.apigateway.send(
          new CreateApiKeyCommand({ name: "zeta", enabled: true, customerId: tenantId }),
        )
      ).id!;
      await t.apigateway.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: "API_KEY" }),
      );
    });
    after(() => t.close());

    test("a plan's price is put (201), read, patched, listed and deleted (202), amounts normalized", async () => {
      const put = await call(
        "PUT",
        `/usageplans/${planId}/price`,
        "/usageplans/{usageplanId}/price",
        201,
        GOLD_PRICE,
      );
      assert.deepEqual(
        { ...put, createdDate: 0, lastUpdatedDate: 0 },
        {
          usagePlanId: planId,
          currency: "USD",
          monthlyFee: "30.00",
          includedRequests: 1_000,
          tiersMode: "GRADUATED",
          tiers: [{ upTo: 1_000, unitAmount: "1.00" }, { unitAmount: "0.50" }],
          createdDate: 0,
          lastUpdatedDate: 0,
        },
      );
      assert.deepEqual(
        await call("GET", `/usageplans/${planId}/price`, "/usageplans/{usageplanId}/price", 200),
        put,
      );
      const patched = await call(
        "PATCH",
        `/usageplans/${planId}/price`,
        "/usageplans/{usageplanId}/price",
        200,
        {
          patchOperations: [
            { op: "replace", path: "/tiersMode", value: "VOLUME" },
            {
              op: "replace",
              path: "/tiers",
              value: '[{"upTo":10,"unitAmount":"2"},{"unitAmount":"0.0035"}]',
            },
          ],
        },
      );
      assert.deepEqual(
        [patched.tiersMode, patched.tiers],
        ["VOLUME", [{ upTo: 10, unitAmount: "2.00" }, { unitAmount: "0.0035" }]],
      );
      const list = await call("GET", "/prices", "/prices", 200);
      assert.deepEqual(
        list.item.map((p: { usagePlanId: string }) => p.usagePlanId),
        [planId],
      );
      assert.equal((await t.admin("DELETE", `/usageplans/${planId}/price`)).status, 202);
      await fails("GET", `/usageplans/${planId}/price`, undefined, 404, /has no price: set one with PUT/);
      await call("PUT", `/usageplans/${planId}/price`, "/usageplans/{usageplanId}/price", 201, GOLD_PRICE);
    });

    test("bad prices are a clear 400 and leave the price as it was", async () => {
      const path = `/usageplans/${planId}/price`;
      const before = (await t.admin("GET", path)).body;
      const bad: Array<[unknown, RegExp]> = [
        [
          { ...GOLD_PRICE, currency: "DOLLARS" },
          /Invalid currency 'DOLLARS': expected an ISO 4217 currency code/,
        ],
        [{ ...GOLD_PRICE, currency: "ABC" }, /Invalid currency 'ABC'/],
        [{ ...GOLD_PRICE, monthlyFee: "30.001" }, /Invalid monthlyFee '30.001': at most 2 decimal places/],
        [
          { ...GOLD_PRICE, currency: "JPY", monthlyFee: "1600.5" },
          /Invalid monthlyFee '1600.5': at most 0 decimal places/,
        ],
        [
          { ...GOLD_PRICE, monthlyFee: "-5" },
          /Invalid monthlyFee '-5': expected a non-negative decimal string/,
        ],
        [{ ...GOLD_PRICE, monthlyFee: 30 }, /monthlyFee: Invalid input: expected string/],
        [{ ...GOLD_PRICE, includedRequests: -1 }, /Invalid includedRequests '-1'/],
        [{ ...GOLD_PRICE, tiersMode: "STAIRS" }, /Invalid tiersMode 'STAIRS': must be GRADUATED or VOLUME/],
        [
          {
            ...GOLD_PRICE,
            tiers: [
              { upTo: 1_000, unitAmount: "1" },
              { upTo: 500, unitAmount: "0.8" },
              { unitAmount: "0.5" },
            ],
          },
          /Invalid tiers\[1\]\.upTo 500: tiers overlap; each upTo must be greater than the previous tier's \(1000\)/,
        ],
        [
          {
            ...GOLD_PRICE,
            tiers: [
              { upTo: 1_000, unitAmount: "1" },
              { upTo: 1_000, unitAmount: "0.5" },
              { unitAmount: "0.5" },
            ],
          },
          /tiers overlap/,
        ],
        [{ ...GOLD_PRICE, tiers: [{ upTo: 1_000, unitAmount: "1" }] }, /the last tier must have no upTo/],
        [
          { ...GOLD_PRICE, tiers: [{ unitAmount: "1" }, { unitAmount: "0.5" }] },
          /every tier but the last needs upTo/,
        ],
        [{ ...GOLD_PRICE, tiers: [{ unitAmount: "0.0000001" }] }, /at most 6 decimal places/],
      ];
      for (const [body, message] of bad) await fails("PUT", path, body, 400, message);
      await fails(
        "PATCH",
        path,
        {
          patchOperations: [
            { op: "replace", path: "/currency", value: "usd" },
            { op: "replace", path: "/color", value: "red" },
          ],
        },
        400,
        /Invalid patch path '\/color'/,
      );
      await fails(
        "PATCH",
        path,
        { patchOperations: [{ op: "replace", path: "/tiers", value: "[oops" }] },
        400,
        /expected a JSON list/,
      );
      await fails(
        "PUT",
        "/usageplans/nosuchplan/price",
        GOLD_PRICE,
        404,
        /Invalid Usage Plan ID specified: nosuchplan/,
      );
      assert.deepEqual((await t.admin("GET", path)).body, before);
    });

    test("subscriptions are created (201), listed as history and cancelled with patch operations", async () => {
      const base = `/tenants/${tenantId}/subscriptions`;
      const first = await call("POST", base, "/tenants/{tenant_id}/subscriptions", 201, {
        usagePlanId: planId,
        startDate: "2026-03-11",
      });
      assert.deepEqual(
        [first.tenantId, first.usagePlanId, first.startDate, first.endDate],
        [tenantId, planId, "2026-03-11", undefined],
      );
      const list = await call("GET", base, "/tenants/{tenant_id}/subscriptions", 200);
      assert.deepEqual(list.item, [first]);
      const cancelled = await call(
        "PATCH",
        `${base}/${first.id}`,
        "/tenants/{tenant_id}/subscriptions/{subscription_id}",
        200,
        {
          patchOperations: [{ op: "replace", path: "/endDate", value: "2026-05-31" }],
        },
      );
      assert.equal(cancelled.endDate, "2026-05-31");
      const resumed = await call(
        "PATCH",
        `${base}/${first.id}`,
        "/tenants/{tenant_id}/subscriptions/{subscription_id}",
        200,
        {
          patchOperations: [{ op: "remove", path: "/endDate" }],
        },
      );
      assert.equal(resumed.endDate, undefined);
      await fails(
        "POST",
        base,
        { usagePlanId: planId, startDate: "2026-02-30" },
        400,
        /Invalid startDate '2026-02-30': expected a date as YYYY-MM-DD/,
      );
      await fails(
        "POST",
        base,
        { usagePlanId: planId, startDate: "2026-03-01" },
        400,
        /must be after 2026-03-11/,
      );
      await fails(
        "POST",
        base,
        { usagePlanId: planId, startDate: "2026-04-01" },
        409,
        /already subscribed to usage plan/,
      );
      await fails(
        "POST",
        "/tenants/nosuchtenant/subscriptions",
        { usagePlanId: planId, startDate: "2026-04-01" },
        404,
        /Invalid tenant identifier specified: nosuchtenant/,
      );
      await fails(
        "DELETE",
        `/usageplans/${planId}/price`,
        undefined,
        409,
        /subscriptions that run today or later/,
      );
      assert.equal((await t.admin("GET", base)).body.item.length, 1);
    });

    test("top-up products and purchases; a negative or zero quantity is a 400 that buys nothing", async () => {
      const product = await call("POST", "/topupproducts", "/topupproducts", 201, {
        name: "Extra 1k",
        requests: 1_000,
        currency: "USD",
        price: "5",
      });
      assert.equal(product.price, "5.00");
      await call("GET", `/topupproducts/${product.id}`, "/topupproducts/{product_id}", 200);
      const renamed = await call(
        "PATCH",
        `/topupproducts/${product.id}`,
        "/topupproducts/{product_id}",
        200,
        {
          patchOperations: [{ op: "replace", path: "/name", value: "Extra 1,000" }],
        },
      );
      assert.equal(renamed.name, "Extra 1,000");
      for (const quantity of [-2, 0]) {
        await fails(
          "POST",
          "/topups",
          { productId: product.id, usagePlanId: planId, keyId, quantity },
          400,
          /Invalid quantity/,
        );
      }
      await fails(
        "POST",
        "/topupproducts",
        { name: "Free lunch", requests: -5, currency: "USD", price: "0" },
        400,
        /Invalid requests '-5'/,
      );
      assert.deepEqual((await t.admin("GET", "/topups")).body.item, []);
      const bought = await call("POST", "/topups", "/topups", 201, {
        productId: product.id,
        usagePlanId: planId,
        keyId,
        quantity: 2,
      });
      assert.deepEqual(
        [bought.period, bought.requests, bought.amount, bought.status],
        ["2026-04", 2_000, "10.00", "APPLIED"],
      );
      await call("GET", `/topups/${bought.id}`, "/topups/{topup_id}", 200);
      const listed = await call("GET", `/topups?tenantId=${tenantId}&period=2026-04`, "/topups", 200);
      assert.deepEqual(listed.item, [bought]);
      assert.equal((await t.admin("DELETE", `/topupproducts/${product.id}`)).status, 202);
    });

    test("an invoice is generated (201), read as JSON, CSV or HTML, listed and finalized", async () => {
      const api = t.tollgate.store;
      await api.db
        .insertInto("usage_counts")
        .values({
          day: "2026-03-20",
          key_id: keyId,
          usage_plan_id: planId,
          tenant_id: tenantId,
          rest_api_id: "a",
          stage: "dev",
          resource_path: "/",
          http_method: "GET",
          requests: 3_500,
        })
        .execute();
      const invoice = await call("POST", "/invoices", "/invoices", 201, { tenantId, period: "2026-03" });
      // Gold held March 11-31: 21 of 31 days.
      // fee 30.00 × 21 / 31 = 3000¢ × 21 / 31 = 2032.26¢ → 20.32; included 1,000 × 21 / 31 = 677.4 → 677
      // overage 3,500 − 677 = 2,823: tier 1 1,000 × 1.00 / 1,000 = 1.00; tier 2 1,823 × 0.50 / 1,000 = 0.9115 → 0.91
      // total 20.32 + 1.00 + 0.91 = 22.23
      assert.equal(invoice.total, "22.23");
      const again = await call("POST", "/invoices", "/invoices", 201, { tenantId, period: "2026-03" });
      assert.deepEqual(again, invoice);
      assert.deepEqual(await call("GET", `/invoices/${invoice.id}`, "/invoices/{invoice_id}", 200), invoice);

      const csv = await t.admin("GET", `/invoices/${invoice.id}`, undefined, {
        headers: { accept: "text/csv" },
      });
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
      assert.equal(
        csv.headers.get("content-disposition"),
        `attachment; filename="invoice-${invoice.id}.csv"`,
      );
      const head = `${invoice.id},${tenantId},"Zeta, Inc.",2026-03,USD,DRAFT`;
      assert.equal(
        csv.body,
        [
          "invoiceId,tenantId,tenantName,period,currency,status,line,type,description,usagePlanId,quantity,unitAmount,amount",
          `${head},1,PLAN_FEE,"Gold: monthly fee 30.00, 2026-03-11 to 2026-03-31 (21 of 31 days)",${planId},21,30.00,20.32`,
          `${head},2,OVERAGE,"Gold: overage tier 1 (1 to 1,000): 1,000 requests at 1.00 per 1,000",${planId},1000,1.00,1.00`,
          `${head},3,OVERAGE,"Gold: overage tier 2 (above 1,000): 1,823 requests at 0.50 per 1,000",${planId},1823,0.50,0.91`,
          `${head},,SUBTOTAL,,,,,22.23`,
          `${head},,TOTAL,,,,,22.23`,
          "",
        ].join("\r\n"),
      );
      const html = await t.admin("GET", `/invoices/${invoice.id}?format=html`);
      assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(html.body, />Total USD<\/td><td class="num">22\.23<\/td>/);
      assert.match(html.body, /Zeta, Inc\./);
      assert.doesNotMatch(html.body, /https?:\/\/|<script|<link|<img|@import|url\(/i);
      const byAccept = await t.admin("GET", `/invoices/${invoice.id}`, undefined, {
        headers: { accept: "text/html,application/xhtml+xml;q=0.9" },
      });
      assert.equal(byAccept.body, html.body);
      await fails(
        "GET",
        `/invoices/${invoice.id}?format=pdf`,
        undefined,
        400,
        /Invalid format 'pdf': must be json, csv or html/,
      );

      const listed = await call(
        "GET",
        `/invoices?tenantId=${tenantId}&period=2026-03&status=DRAFT`,
        "/invoices",
        200,
      );
      assert.deepEqual(
        listed.item.map((i: { id: string }) => i.id),
        [invoice.id],
      );
      const monthCsv = await t.admin("GET", "/invoices?period=2026-03&format=csv");
      assert.equal(monthCsv.body, csv.body);

      const finalized = await call(
        "POST",
        `/invoices/${invoice.id}/finalize`,
        "/invoices/{invoice_id}/finalize",
        200,
      );
      assert.equal(finalized.status, "FINALIZED");
      await fails(
        "POST",
        `/invoices/${invoice.id}/finalize`,
        undefined,
        409,
        /a finalized invoice never changes/,
      );
      const recon = await call(
        "GET",
        `/tenants/${tenantId}/reconciliations/2026-03`,
        "/tenants/{tenant_id}/reconciliations/{period}",
        200,
      );
      assert.deepEqual(
        [recon.invoiceId, recon.agrees, recon.plans[0].ledgerRequests, recon.plans[0].invoicedRequests],
        [invoice.id, true, 3_500, 3_500],
      );
      const voided = await call("POST", `/invoices/${invoice.id}/void`, "/invoices/{invoice_id}/void", 200);
      assert.equal(voided.status, "VOID");
    });

    test("bad invoice requests are a clear 400 or 404 and create nothing", async () => {
      const count = async () => (await t.admin("GET", "/invoices")).body.item.length;
      const before = await count();
      await fails(
        "POST",
        "/invoices",
        { tenantId: "nosuchtenant", period: "2026-03" },
        404,
        /Invalid tenant identifier specified: nosuchtenant/,
      );
      for (const period of ["2026-13", "2026-3", "March 2026"]) {
        await fails("POST", "/invoices", { tenantId, period }, 400, /expected a calendar month as YYYY-MM/);
      }
      await fails("POST", "/invoices", { tenantId, period: "2026-05" }, 400, /has not started yet/);
      await fails("POST", "/invoices", { tenantId }, 400, /period/);
      await fails("GET", "/invoices/nosuchinvoice", undefined, 404, /Invalid invoice identifier specified/);
      await fails("GET", "/invoices?status=PAID", undefined, 400, /Invalid status 'PAID'/);
      await fails(
        "GET",
        `/tenants/${tenantId}/reconciliations/2026-99`,
        undefined,
        400,
        /Invalid period '2026-99'/,
      );
      assert.equal(await count(), before);
    });
  });
}
