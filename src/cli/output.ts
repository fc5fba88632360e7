import Table from "cli-table3";

/** One column of a table: its header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  value(row: T): unknown;
}

/** Output flags shared by listing and creating commands. */
export interface OutputFlags {
  json?: boolean;
}

/**
 * The one output helper: `--json` prints the data as JSON for scripts, otherwise a table.
 * Lists print as an array of items, single resources as the object.
 *
 * @example
 *   print(apis, [{ header: "ID", value: (a) => a.id }], flags);
 */
export function print<T>(data: T | T[], columns: Column<T>[], flags: OutputFlags): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const rows = Array.isArray(data) ? data : [data];
  const table = new Table({ head: columns.map((c) => c.header), style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
  process.stdout.write(`${table.toString()}\n`);
  if (Array.isArray(data)) process.stdout.write(`${rows.length} ${rows.length === 1 ? "item" : "items"}\n`);
}

/** Writes lines of text to stdout (banners, notes). */
export function say(...lines: string[]): void {
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** An API Gateway timestamp (epoch seconds) as an ISO date, for tables. */
export function date(epochSeconds: unknown): string {
  return typeof epochSeconds === "number" ? new Date(epochSeconds * 1000).toISOString() : "";
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
