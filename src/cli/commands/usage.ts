import { Command } from "commander";
import type { KeyReconciliation, Reconciliation, UsageReportRow } from "../../metering/index.js";
import { type AdminClient, CliError } from "../client.js";
import { type Column, print, say } from "../output.js";
import type { ApiKey, RestApi, Tenant, UsagePlan } from "../shapes.js";
import { byIdOrName, type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

interface ReportFlags extends ClientCommandFlags {
  from?: string;
  to?: string;
  by: string;
  tenant?: string;
  key?: string;
  plan?: string;
  api?: string;
  csv?: boolean;
}

/** The report's columns per dimension (what `--by` accepts), in display order. */
const DIMENSION_COLUMNS: Record<string, Column<UsageReportRow>[]> = {
  day: [{ header: "DAY", value: (r) => r.day }],
  tenant: [{ header: "TENANT", value: (r) => r.tenantName ?? r.tenantId }],
  key: [{ header: "KEY", value: (r) => (r.keyName ? `${r.keyName} (${r.keyId})` : r.keyId) }],
  plan: [{ header: "PLAN", value: (r) => r.usagePlanName ?? r.usagePlanId }],
  api: [{ header: "API", value: (r) => r.restApiName ?? r.restApiId }],
  stage: [
    { header: "API", value: (r) => r.restApiName ?? r.restApiId },
    { header: "STAGE", value: (r) => r.stage },
  ],
  method: [
    { header: "API", value: (r) => r.restApiName ?? r.restApiId },
    { header: "METHOD", value: (r) => `${r.httpMethod} ${r.resourcePath}` },
  ],
};

/** CSV fields, in order; only those present in a report are written. */
const CSV_FIELDS: Array<keyof UsageReportRow> = [
  "day",
  "tenantId",
  "tenantName",
  "keyId",
  "keyName",
  "usagePlanId",
  "usagePlanName",
  "restApiId",
  "restApiName",
  "stage",
  "resourcePath",
  "httpMethod",
  "requests",
];

const RECONCILIATION_COLUMNS: Column<KeyReconciliation>[] = [
  { header: "KEY", value: (r) => r.keyId },
  { header: "LEDGER", value: (r) => r.ledger },
  { header: "GET-USAGE", value: (r) => r.reported },
  { header: "ADJUSTMENTS", value: (r) => r.adjustments },
  { header: "EFFECTIVE", value: (r) => r.effective },
  { header: "COUNTER", value: (r) => r.counter },
  { header: "REMAINING", value: (r) => r.remaining },
  { header: "AGREE", value: (r) => (r.agreed ? "yes" : "NO") },
  { header: "PROBLEMS", value: (r) => r.problems.join("; ") },
];

/**
 * `tollgate usage`: admitted requests per tenant, key, plan, API, stage, method or day over any
 * date range (table, `--json` or `--csv`), and `usage reconcile` to check the ledger against
 * get-usage and the live quota counters.
 */
export function usageCommand(program: Command): void {
  const usage = program
    .command("usage")
    .description("usage: requests per tenant, key, plan, API and method; reconciliation with quotas");

  // Built apart and added as the default, so `tollgate usage --by tenant` runs the report.
  const report = clientCommand(new Command("usage"), "report", "admitted requests over a date range, grouped")
    .option("--from <YYYY-MM-DD>", "first UTC day (default: the 1st of this month)")
    .option("--to <YYYY-MM-DD>", "last UTC day, included (default: today)")
    .option(
      "--by <dimensions>",
      "group by: comma-separated day, tenant, key, plan, api, stage, method",
      "tenant,key",
    )
    .option("--tenant <idOrName>", "only this tenant")
    .option("--key <idOrName>", "only this API key")
    .option("--plan <idOrName>", "only this usage plan")
    .option("--api <idOrName>", "only this REST API")
    .option("--csv", "print CSV (a header line, then one line per group) for spreadsheets")
    .action(async (flags: ReportFlags) => {
      const admin = clientFrom(flags);
      const rows = await admin.listAll<UsageReportRow>("/usage", await reportQuery(admin, flags));
      if (flags.csv) process.stdout.write(toCsv(rows));
      else print(rows, reportColumns(flags.by), flags);
    });
  usage.addCommand(report, { isDefault: true });

  clientCommand(usage, "reconcile", "check that the usage ledger, get-usage and quota counters agree")
    .requiredOption("--plan <idOrName>", "the usage plan")
    .option("--period <YYYY-MM>", "a calendar month (default: the current quota period)")
    .action(async (flags: ClientCommandFlags & { plan: string; period?: string }) => {
      const admin = clientFrom(flags);
      const plan = byIdOrName(await admin.listAll<UsagePlan>("/usageplans"), flags.plan, "usage plan");
      const result = await admin.request<Reconciliation>("GET", `/usageplans/${plan.id}/reconciliation`, {
        query: { period: flags.period },
      });
      if (flags.json) print(result as unknown as KeyReconciliation, [], flags);
      else {
        print(result.item, RECONCILIATION_COLUMNS, flags);
        const counters = result.quotaPeriod
          ? `; quota counters for ${result.quotaPeriod.startDate} to ${result.quotaPeriod.endDate}`
          : "";
        say(`Ledger and get-usage for ${result.startDate} to ${result.endDate}${counters}.`);
      }
      const disagreeing = result.item.filter((r) => !r.agreed).length;
      if (disagreeing) {
        throw new CliError(`${disagreeing} of ${result.item.length} keys of plan ${plan.id} disagree`);
      }
      if (!flags.json) say(`All ${result.item.length} keys agree.`);
    });
}

/** The report's query: dates (this month to today by default), grouping, filters by id. */
async function reportQuery(admin: AdminClient, flags: ReportFlags) {
  const today = new Date().toISOString().slice(0, 10);
  const query: Record<string, string | undefined> = {
    startDate: flags.from ?? `${today.slice(0, 8)}01`,
    endDate: flags.to ?? today,
    groupBy: flags.by,
  };
  if (flags.tenant)
    query.tenantId = byIdOrName(await admin.listAll<Tenant>("/tenants"), flags.tenant, "tenant").id;
  if (flags.plan) {
    query.usagePlanId = byIdOrName(
      await admin.listAll<UsagePlan>("/usageplans"),
      flags.plan,
      "usage plan",
    ).id;
  }
  if (flags.api)
    query.restApiId = byIdOrName(await admin.listAll<RestApi>("/restapis"), flags.api, "REST API").id;
  if (flags.key) {
    const keys = await admin.listAll<ApiKey & { name?: string }>("/apikeys");
    query.keyId = byIdOrName(keys, flags.key, "API key").id;
  }
  return query;
}

/** Table columns for the dimensions asked for, each column once, then the count. */
function reportColumns(by: string): Column<UsageReportRow>[] {
  const columns = new Map<string, Column<UsageReportRow>>();
  for (const dimension of by.split(",").map((s) => s.trim())) {
    for (const column of DIMENSION_COLUMNS[dimension] ?? []) columns.set(column.header, column);
  }
  return [...columns.values(), { header: "REQUESTS", value: (r) => r.requests }];
}

/** RFC 4180 CSV of the rows, with the fields any row has. */
export function toCsv(rows: UsageReportRow[]): string {
  const fields = CSV_FIELDS.filter((f) => rows.some((r) => r[f] !== undefined) || f === "requests");
  const cell = (v: unknown) => {
    const text = v === undefined ? "" : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [fields.join(","), ...rows.map((r) => fields.map((f) => cell(r[f])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
