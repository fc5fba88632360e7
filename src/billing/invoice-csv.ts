import type { Invoice } from "./invoices.js";

/** Columns of the CSV export: one row per invoice line, then a SUBTOTAL and a TOTAL row per invoice. */
export const CSV_COLUMNS = [
  "invoiceId",
  "tenantId",
  "tenantName",
  "period",
  "currency",
  "status",
  "line",
  "type",
  "description",
  "usagePlanId",
  "quantity",
  "unitAmount",
  "amount",
] as const;

/**
 * Invoices as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line
 * break). Text that a spreadsheet would run as a formula gets a leading apostrophe.
 *
 * @example invoicesCsv([invoice]).split("\r\n")[0] // "invoiceId,tenantId,tenantName,period,..."
 */
export function invoicesCsv(invoices: Invoice[]): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const invoice of invoices) {
    const head = [
      invoice.id,
      invoice.tenantId,
      text(invoice.tenantName),
      invoice.period,
      invoice.currency,
      invoice.status,
    ];
    invoice.lines.forEach((l, i) => {
      rows.push([
        ...head,
        String(i + 1),
        l.type,
        text(l.description),
        l.usagePlanId,
        String(l.quantity),
        l.unitAmount,
        l.amount,
      ]);
    });
    rows.push([...head, "", "SUBTOTAL", "", "", "", "", invoice.subtotal]);
    rows.push([...head, "", "TOTAL", "", "", "", "", invoice.total]);
  }
  return `${rows.map((r) => r.map(field).join(",")).join("\r\n")}\r\n`;
}

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Free text that starts like a formula (=, +, -, @) is neutralized, as OWASP advises for CSV. */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
