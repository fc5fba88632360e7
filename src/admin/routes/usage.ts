import { z } from "zod";
import { paginate } from "../../core/paging.js";
import { USAGE_DIMENSIONS } from "../../metering/index.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations } from "../shapes.js";

export const UsageShape = z.object({
  usagePlanId: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  values: z
    .record(z.string(), z.array(z.tuple([z.number(), z.number()])))
    .describe("per API key id, one [used, remaining] pair per day from startDate to endDate"),
  position: z.string().optional(),
});

export const UsageAlertShape = z.object({
  id: z.string(),
  usagePlanId: z.string(),
  keyId: z.string().optional(),
  thresholds: z.array(z.number()),
  enabled: z.boolean(),
  description: z.string().optional(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const CreateUsageAlert = z.object({
  thresholds: z.array(z.number()).describe("whole percentages of the quota, 1 to 100, e.g. [80, 100]"),
  keyId: z
    .string()
    .min(1)
    .optional()
    .describe("only this key; a key's alert replaces the plan-wide one for it"),
  enabled: z.boolean().optional(),
  description: z.string().max(1024).optional(),
});

const QuotaThresholdEventShape = z.object({
  version: z.string(),
  id: z.string(),
  "detail-type": z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    usagePlanId: z.string(),
    keyId: z.string(),
    tenantId: z.string(),
    threshold: z.number(),
    used: z.number(),
    limit: z.number(),
    remaining: z.number(),
    period: z.object({ unit: z.string(), offset: z.number(), start: z.string(), end: z.string() }),
    alertId: z.string(),
  }),
});

const UsageReportShape = collection(
  z.object({
    day: z.string().optional(),
    tenantId: z.string().optional(),
    tenantName: z.string().optional(),
    keyId: z.string().optional(),
    keyName: z.string().optional(),
    usagePlanId: z.string().optional(),
    usagePlanName: z.string().optional(),
    restApiId: z.string().optional(),
    restApiName: z.string().optional(),
    stage: z.string().optional(),
    resourcePath: z.string().optional(),
    httpMethod: z.string().optional(),
    requests: z.number(),
  }),
).extend({ startDate: z.string(), endDate: z.string(), groupBy: z.array(z.string()) });

const ReconciliationShape = z.object({
  usagePlanId: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  quotaPeriod: z.object({ startDate: z.string(), endDate: z.string(), limit: z.number() }).optional(),
  agreed: z.boolean(),
  item: z.array(
    z.object({
      keyId: z.string(),
      ledger: z.number(),
      reported: z.number(),
      adjustments: z.number().optional(),
      effective: z.number().optional(),
      counter: z.number().optional(),
      remaining: z.number().optional(),
      agreed: z.boolean(),
      problems: z.array(z.string()),
    }),
  ),
});

const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };
const RANGE = { startDate: "first UTC day, YYYY-MM-DD", endDate: "last UTC day, YYYY-MM-DD (inclusive)" };

/**
 * Usage: AWS's GetUsage and UpdateUsage, and Tollgate's own usage report, reconciliation,
 * usage alerts and fired alerts, in the same style.
 */
export function usageRoutes({ metering, usageAlerts }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "GetUsage",
      method: "GET",
      path: "/usageplans/{usageplanId}/usage",
      summary:
        "Daily [used, remaining] per key of a usage plan over at most 90 days; remaining is what was left at the end of that day in its quota period",
      query: { ...RANGE, keyId: "only this API key", ...PAGING },
      response: UsageShape,
      status: 200,
      handle: ({ params, query }) => metering.getUsage(params.usageplanId!, query),
    }),
    route({
      operationId: "UpdateUsage",
      method: "PATCH",
      path: "/usageplans/{usageplanId}/keys/{keyId}/usage",
      summary:
        "Set the remaining quota of a key for the current period (replace /remaining); effective on every gateway at once",
      body: PatchOperations,
      response: UsageShape,
      status: 200,
      handle: ({ params, body }) =>
        metering.updateUsage(params.usageplanId!, params.keyId!, body.patchOperations),
    }),
    route({
      operationId: "GetUsageReport",
      method: "GET",
      path: "/usage",
      summary:
        "Admitted requests over any date range, summed per tenant, key, plan, API, stage, method or day",
      query: {
        ...RANGE,
        groupBy: `comma-separated: ${USAGE_DIMENSIONS.join(", ")} (key)`,
        tenantId: "only this tenant",
        keyId: "only this API key",
        usagePlanId: "only this usage plan",
        restApiId: "only this REST API",
        ...PAGING,
      },
      response: UsageReportShape,
      status: 200,
      handle: ({ query }) => metering.report(query),
    }),
    route({
      operationId: "GetUsageReconciliation",
      method: "GET",
      path: "/usageplans/{usageplanId}/reconciliation",
      summary:
        "Check per key that the usage ledger, get-usage and the live quota counters agree (current quota period, or a month)",
      query: { period: "a calendar month, YYYY-MM (default: the current quota period)" },
      response: ReconciliationShape,
      status: 200,
      handle: ({ params, query }) => metering.reconcile(params.usageplanId!, { period: query.period }),
    }),
    route({
      operationId: "CreateUsageAlert",
      method: "POST",
      path: "/usageplans/{usageplanId}/alerts",
      summary:
        "Alert when a key's use reaches percentages of the plan's quota, once per key, threshold and period",
      body: CreateUsageAlert,
      response: UsageAlertShape,
      status: 201,
      handle: ({ params, body }) => usageAlerts.create(params.usageplanId!, body),
    }),
    route({
      operationId: "GetUsageAlerts",
      method: "GET",
      path: "/usageplans/{usageplanId}/alerts",
      summary: "List a usage plan's alerts",
      query: { keyId: "only the alert of this API key", ...PAGING },
      response: collection(UsageAlertShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(
          await usageAlerts.list(params.usageplanId!, { keyId: query.keyId }),
          query.limit,
          query.position,
        ),
    }),
    route({
      operationId: "GetUsageAlert",
      method: "GET",
      path: "/usageplans/{usageplanId}/alerts/{alertId}",
      summary: "Get a usage alert",
      response: UsageAlertShape,
      status: 200,
      handle: ({ params }) => usageAlerts.get(params.usageplanId!, params.alertId!),
    }),
    route({
      operationId: "UpdateUsageAlert",
      method: "PATCH",
      path: "/usageplans/{usageplanId}/alerts/{alertId}",
      summary: "Update a usage alert with patch operations (/thresholds as '80,100', /enabled, /description)",
      body: PatchOperations,
      response: UsageAlertShape,
      status: 200,
      handle: ({ params, body }) =>
        usageAlerts.update(params.usageplanId!, params.alertId!, body.patchOperations),
    }),
    route({
      operationId: "DeleteUsageAlert",
      method: "DELETE",
      path: "/usageplans/{usageplanId}/alerts/{alertId}",
      summary: "Delete a usage alert; thresholds it fired stay recorded",
      status: 202,
      handle: ({ params }) => usageAlerts.delete(params.usageplanId!, params.alertId!),
    }),
    route({
      operationId: "GetUsageAlertEvents",
      method: "GET",
      path: "/usagealerts",
      summary:
        "Fired usage alerts, newest first, as the 'Quota Threshold Reached' events written for the event bus",
      query: {
        usagePlanId: "only this usage plan",
        keyId: "only this API key",
        tenantId: "only this tenant",
        ...RANGE,
        ...PAGING,
      },
      response: collection(QuotaThresholdEventShape),
      status: 200,
      handle: async ({ query }) => paginate(await usageAlerts.events(query), query.limit, query.position),
    }),
  ];
}
