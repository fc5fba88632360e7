import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Invoice, invoiceHtml, invoicesCsv } from "../../src/billing/index.js";

/** An invoice whose text fields hold what a hostile tenant or plan name could. */
const INVOICE: Invoice = {
  id: "inv0000001",
  tenantId: "ten0000001",
  tenantName: '<script>alert("x")</script> & "Quotes", Ltd.',
  period: "2026-03",
  periodStart: "2026-03-01",
  periodEnd: "2026-03-31",
  currency: "EUR",
  status: "VOID",
  lines: [
    {
      type: "PLAN_FEE",
      description:
        '=HYPERLINK("http://evil.example","click"): monthly fee 10.00, 2026-03-01 to 2026-03-31 (31 of 31 days)',
      usagePlanId: "plan000001",
      quantity: 31,
      unitAmount: "10.00",
      amount: "10.00",
    },
    {
      type: "OVERAGE",
      description: "Line one\nline two",
      usagePlanId: "plan000001",
      quantity: 1234567,
      unitAmount: "0.0035",
      amount: "4.32",
      tier: 1,
    },
  ],
  usage: [
    {
      usagePlanId: "plan000001",
      usagePlanName: "<b>Bold</b>",
      requests: 1_234_567,
      includedRequests: 0,
      topUpRequests: 0,
      overageRequests: 1_234_567,
      priced: true,
    },
  ],
  subtotal: "14.32",
  total: "14.32",
  createdDate: 1774915200,
  lastUpdatedDate: 1774915200,
  finalizedDate: 1775001600,
  voidedDate: 1775088000,
};

describe("invoice exports", () => {
  test("CSV quotes commas, quotes and line breaks, and defuses formulas in free text", () => {
    const rows = invoicesCsv([INVOICE]).split("\r\n");
    const head = 'inv0000001,ten0000001,"<script>alert(""x"")</script> & ""Quotes"", Ltd.",2026-03,EUR,VOID';
    assert.equal(
      rows[1],
      `${head},1,PLAN_FEE,"'=HYPERLINK(""http://evil.example"",""click""): monthly fee 10.00, 2026-03-01 to 2026-03-31 (31 of 31 days)",plan000001,31,10.00,10.00`,
    );
    assert.ok(
      invoicesCsv([INVOICE]).includes(
        `${head},2,OVERAGE,"Line one\nline two",plan000001,1234567,0.0035,4.32\r\n`,
      ),
    );
    assert.ok(invoicesCsv([INVOICE]).endsWith(`${head},,TOTAL,,,,,14.32\r\n`));
  });

  test("CSV of several invoices has one header and each invoice's totals", () => {
    const csv = invoicesCsv([
      INVOICE,
      { ...INVOICE, id: "inv0000002", lines: [], subtotal: "0.00", total: "0.00" },
    ]);
    assert.equal(csv.match(/^invoiceId,/gm)?.length, 1);
    assert.equal(csv.match(/,TOTAL,/g)?.length, 2);
  });

  test("the HTML invoice escapes every value and loads nothing from anywhere", () => {
    const html = invoiceHtml(INVOICE);
    assert.ok(
      html.includes("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#34;Quotes&#34;, Ltd."),
    );
    assert.ok(html.includes("&#60;b&#62;Bold&#60;/b&#62;"));
    assert.doesNotMatch(html, /<script|<b>/);
    assert.doesNotMatch(html, /<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(/i);
    assert.match(html, /<body class="void">/);
    assert.match(html, /<dt>Voided<\/dt><dd>2026-04-02 00:00<\/dd>/);
    assert.match(
      html,
      /<td class="num">1,234,567<\/td><td class="num">0\.0035<\/td><td class="num">4\.32<\/td>/,
    );
    assert.match(html, />Total EUR<\/td><td class="num">14\.32<\/td>/);
  });
});
