import { count } from "./invoice-lines.js";
import type { Invoice } from "./invoices.js";

/** Self-contained styles: no fonts, images or scripts from anywhere, so the page prints offline. */
const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232b; margin: 0; background: #f3f4f6; }
  main { max-width: 860px; margin: 32px auto; background: #fff; padding: 40px 48px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  header { display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 2px solid #1d232b; padding-bottom: 16px; }
  h1 { font-size: 26px; margin: 0; letter-spacing: .04em; }
  .status { display: inline-block; margin-top: 6px; padding: 2px 10px; border: 1px solid; border-radius: 3px; font-size: 12px; font-weight: 600; }
  .status-DRAFT { color: #8a5a00; } .status-FINALIZED { color: #186a3b; } .status-VOID { color: #a61b1b; }
  dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
  dt { color: #5b6573; } dd { margin: 0; font-variant-numeric: tabular-nums; }
  h2 { font-size: 15px; margin: 28px 0 8px; text-transform: uppercase; letter-spacing: .06em; color: #5b6573; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
  th { font-size: 12px; color: #5b6573; font-weight: 600; }
  .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tfoot td { border-bottom: none; font-weight: 600; }
  tfoot tr.total td { font-size: 16px; border-top: 2px solid #1d232b; }
  .void main { background-image: repeating-linear-gradient(-45deg, transparent 0 40px, rgba(166,27,27,.05) 40px 80px); }
  footer { margin-top: 32px; color: #5b6573; font-size: 12px; }
  @media print { body { background: #fff; } main { box-shadow: none; margin: 0; max-width: none; padding: 0; } }
`;

/**
 * A printable HTML invoice: one self-contained page (inline CSS, no external assets), every
 * value escaped.
 *
 * @example reply.type("text/html").send(invoiceHtml(invoice))
 */
export function invoiceHtml(invoice: Invoice): string {
  const rows = invoice.lines
    .map(
      (l, i) =>
        `<tr><td class="num">${i + 1}</td><td>${escapeHtml(l.description)}</td><td class="num">${count(l.quantity)}</td><td class="num">${escapeHtml(l.unitAmount)}</td><td class="num">${escapeHtml(l.amount)}</td></tr>`,
    )
    .join("\n");
  const usage = invoice.usage
    .map(
      (u) =>
        `<tr><td>${escapeHtml(u.usagePlanName)}</td><td class="num">${count(u.requests)}</td><td class="num">${count(u.includedRequests)}</td><td class="num">${count(u.topUpRequests)}</td><td class="num">${count(u.overageRequests)}</td></tr>`,
    )
    .join("\n");
  const title = `Invoice ${invoice.id}, ${invoice.tenantName}, ${invoice.period}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body${invoice.status === "VOID" ? ' class="void"' : ""}>
<main>
<header>
  <div><h1>INVOICE</h1><span class="status status-${invoice.status}">${invoice.status}</span></div>
  <dl>
    <dt>Invoice</dt><dd>${escapeHtml(invoice.id)}</dd>
    <dt>Billed to</dt><dd>${escapeHtml(invoice.tenantName)} (${escapeHtml(invoice.tenantId)})</dd>
    <dt>Period</dt><dd>${escapeHtml(invoice.periodStart)} to ${escapeHtml(invoice.periodEnd)} (UTC)</dd>
    <dt>Currency</dt><dd>${escapeHtml(invoice.currency)}</dd>
    ${invoice.finalizedDate ? `<dt>Finalized</dt><dd>${date(invoice.finalizedDate)}</dd>` : ""}
    ${invoice.voidedDate ? `<dt>Voided</dt><dd>${date(invoice.voidedDate)}</dd>` : ""}
  </dl>
</header>
<h2>Charges</h2>
<table>
<thead><tr><th class="num">#</th><th>Description</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Amount (${escapeHtml(invoice.currency)})</th></tr></thead>
<tbody>
${rows || `<tr><td colspan="5">No charges.</td></tr>`}
</tbody>
<tfoot>
<tr><td colspan="4" class="num">Subtotal</td><td class="num">${escapeHtml(invoice.subtotal)}</td></tr>
<tr class="total"><td colspan="4" class="num">Total ${escapeHtml(invoice.currency)}</td><td class="num">${escapeHtml(invoice.total)}</td></tr>
</tfoot>
</table>
<h2>Usage</h2>
<table>
<thead><tr><th>Usage plan</th><th class="num">Requests</th><th class="num">Included</th><th class="num">Top-ups</th><th class="num">Overage</th></tr></thead>
<tbody>
${usage || `<tr><td colspan="5">No usage.</td></tr>`}
</tbody>
</table>
<footer>Unit prices of overage are per 1,000 requests. Each line is rounded half up to the currency's minor unit once; totals add the rounded lines.</footer>
</main>
</body>
</html>
`;
}

/** Escapes text for HTML content and attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function date(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace("T", " ").slice(0, 16);
}
