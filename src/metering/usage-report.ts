import { BadRequestError } from "../core/errors.js";
import { type Page, paginate } from "../core/paging.js";
import type { Tx } from "../store/index.js";
import { parseRange } from "./dates.js";

/** What usage can be grouped by, in `groupBy`. */
export const USAGE_DIMENSIONS = ["day", "tenant", "key", "plan", "api", "stage", "method"] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/** The detailed usage report's query: a date range (any length), grouping and filters. */
export interface UsageReportInput {
  startDate?: string;
  endDate?: string;
  /** Comma-separated dimensions; `key` when absent. */
  groupBy?: string;
  tenantId?: string;
  keyId?: string;
  usagePlanId?: string;
  restApiId?: string;
  limit?: string | number;
  position?: string;
}

/** One group of the report: the dimensions grouped by (with names where there are any) and the count. */
export interface UsageReportRow {
  day?: string;
  tenantId?: string;
  tenantName?: string;
  keyId?: string;
  keyName?: string;
  usagePlanId?: string;
  usagePlanName?: string;
  restApiId?: string;
  restApiName?: string;
  stage?: string;
  resourcePath?: string;
  httpMethod?: string;
  /** Admitted requests. */
  requests: number;
}

export interface UsageReport extends Page<UsageReportRow> {
  startDate: string;
  endDate: string;
  groupBy: UsageDimension[];
}

type Column =
  | "day"
  | "tenant_id"
  | "key_id"
  | "usage_plan_id"
  | "rest_api_id"
  | "stage"
  | "resource_path"
  | "http_method";

/** The ledger columns each dimension groups by: a stage or method is named within its API. */
const COLUMNS: Record<UsageDimension, Column[]> = {
  day: ["day"],
  tenant: ["tenant_id"],
  key: ["key_id"],
  plan: ["usage_plan_id"],
  api: ["rest_api_id"],
  stage: ["rest_api_id", "stage"],
  method: ["rest_api_id", "resource_path", "http_method"],
};

const FIELDS: Record<Column, keyof UsageReportRow> = {
  day: "day",
  tenant_id: "tenantId",
  key_id: "keyId",
  usage_plan_id: "usagePlanId",
  rest_api_id: "restApiId",
  stage: "stage",
  resource_path: "resourcePath",
  http_method: "httpMethod",
};

/**
 * Admitted requests from the ledger between two UTC days (inclusive), summed per group: per
 * tenant, key, plan, API, stage, method and/or day. Tollgate's own report; get-usage is AWS's.
 */
export async function usageReport(db: Tx, input: UsageReportInput): Promise<UsageReport> {
  parseRange(input.startDate, input.endDate);
  const groupBy = parseGroupBy(input.groupBy);
  const columns = [...new Set(groupBy.flatMap((d) => COLUMNS[d]))];
  let query = db
    .selectFrom("usage_counts")
    .select((eb) => [...columns, eb.fn.sum<number>("requests").as("requests")])
    .where("day", ">=", input.startDate!)
    .where("day", "<=", input.endDate!);
  if (input.tenantId) query = query.where("tenant_id", "=", input.tenantId);
  if (input.keyId) query = query.where("key_id", "=", input.keyId);
  if (input.usagePlanId) query = query.where("usage_plan_id", "=", input.usagePlanId);
  if (input.restApiId) query = query.where("rest_api_id", "=", input.restApiId);
  const rows = await query.groupBy(columns).execute();
  const report = rows.map((row) => {
    const out: UsageReportRow = { requests: Number(row.requests) };
    for (const column of columns)
      (out as unknown as Record<string, string>)[FIELDS[column]] = String(row[column]);
    return out;
  });
  report.sort((a, b) => compareRows(a, b, columns));
  const page = paginate(report, input.limit, input.position);
  await addNames(db, page.item);
  return { startDate: input.startDate!, endDate: input.endDate!, groupBy, ...page };
}

function parseGroupBy(value: string | undefined): UsageDimension[] {
  const names = (value ?? "key")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(USAGE_DIMENSIONS as readonly string[]).includes(name)) {
      throw new BadRequestError(
        `Invalid groupBy '${name}': expected a comma-separated list of ${USAGE_DIMENSIONS.join(", ")}`,
      );
    }
  }
  return [...new Set(names)] as UsageDimension[];
}

/** Days ascending, then the other columns alphabetically: the same order on both store adapters. */
function compareRows(a: UsageReportRow, b: UsageReportRow, columns: Column[]): number {
  for (const column of columns) {
    const field = FIELDS[column];
    const order = String(a[field] ?? "").localeCompare(String(b[field] ?? ""));
    if (order !== 0) return order;
  }
  return 0;
}

/** Names of the tenants, keys, plans and APIs a page mentions, for people reading the report. */
async function addNames(db: Tx, rows: UsageReportRow[]): Promise<void> {
  const ids = (field: keyof UsageReportRow) => [
    ...new Set(rows.map((r) => r[field] as string | undefined).filter((v): v is string => !!v)),
  ];
  const lookups = [
    { table: "tenants", id: "tenantId", name: "tenantName" },
    { table: "api_keys", id: "keyId", name: "keyName" },
    { table: "usage_plans", id: "usagePlanId", name: "usagePlanName" },
    { table: "rest_apis", id: "restApiId", name: "restApiName" },
  ] as const;
  for (const { table, id, name } of lookups) {
    const wanted = ids(id);
    if (wanted.length === 0) continue;
    const found = await db.selectFrom(table).select(["id", "name"]).where("id", "in", wanted).execute();
    const names = new Map(found.map((r) => [r.id, r.name]));
    for (const row of rows) {
      const value = row[id] ? names.get(row[id]!) : undefined;
      if (value) row[name] = value;
    }
  }
}
