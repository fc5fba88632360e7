import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { type Billing, type Invoice, invoiceHtml, invoicesCsv } from "../../billing/index.js";
import { BadRequestError } from "../../core/errors.js";
import { paginate } from "../../core/paging.js";
import { type AdminRoute, RawResponse, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations } from "../shapes.js";

/** Money on the wire: decimal strings in major units, never JSON numbers (no floating point). */
const Money = z.string().describe('decimal string in major units, e.g. "49.00"');
const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };

const TierShape = z.object({
  upTo: z
    .number()
    .optional()
    .describe("last overage request of the tier, inclusive; absent on the last tier"),
  unitAmount: Money.describe("price per 1,000 requests, up to 6 decimal places"),
});

export const PlanPriceShape = z.object({
  usagePlanId: z.string(),
  currency: z.string().describe("ISO 4217 code"),
  monthlyFee: Money,
  includedRequests: z.number(),
  tiersMode: z.enum(["GRADUATED", "VOLUME"]),
  tiers: z.array(TierShape),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const PutPlanPrice = z.object({
  currency: z.string().describe("ISO 4217 code, e.g. USD, EUR, JPY"),
  monthlyFee: Money.optional().describe("0 when absent"),
  includedRequests: z.number().optional().describe("0 when absent"),
  tiersMode: z.string().optional().describe("GRADUATED (default) or VOLUME"),
  tiers: z
    .array(z.object({ upTo: z.number().nullable().optional(), unitAmount: Money }))
    .optional()
    .describe("overage tiers in increasing upTo; the last has none"),
});

const SubscriptionShape = z.object({
  id: z.string(),
  tenantId: z.string(),
  usagePlanId: z.string(),
  startDate: z.string(),
  endDate: z.string().optional(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const CreateSubscription = z.object({
  usagePlanId: z.string().min(1),
  startDate: z.string().describe("YYYY-MM-DD (UTC), after the start of the tenant's latest subscription"),
});

const TopUpProductShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  requests: z.number(),
  currency: z.string(),
  price: Money,
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const CreateTopUpProduct = z.object({
  name: z.string().min(1).max(256),
  description: z.string().max(1024).optional(),
  requests: z.number().describe("extra requests one unit adds to the current quota period"),
  currency: z.string(),
  price: Money,
});

const TopUpShape = z.object({
  id: z.string(),
  productId: z.string(),
  productName: z.string(),
  tenantId: z.string(),
  keyId: z.string(),
  usagePlanId: z.string(),
  period: z.string(),
  quantity: z.number(),
  requests: z.number(),
  currency: z.string(),
  unitPrice: Money,
  amount: Money,
  status: z.enum(["PENDING", "APPLIED"]),
  createdDate: EpochSeconds,
});

const PurchaseTopUp = z.object({
  productId: z.string().min(1),
  usagePlanId: z.string().min(1),
  keyId: z.string().min(1),
  quantity: z.number().optional().describe("whole number from 1 (default 1)"),
  tenantId: z.string().optional().describe("when given, must own the key"),
});

const InvoiceLineShape = z.object({
  type: z.enum(["PLAN_FEE", "OVERAGE", "TOP_UP"]),
  description: z.string(),
  usagePlanId: z.string(),
  quantity: z.number(),
  unitAmount: Money,
  amount: Money,
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  daysInPeriod: z.number().optional(),
  tier: z.number().optional(),
  topUpId: z.string().optional(),
  keyId: z.string().optional(),
  requests: z.number().optional(),
});

const PlanUsageShape = z.object({
  usagePlanId: z.string(),
  usagePlanName: z.string(),
  requests: z.number(),
  includedRequests: z.number(),
  topUpRequests: z.number(),
  overageRequests: z.number(),
  priced: z.boolean(),
});

export const InvoiceShape = z.object({
  id: z.string(),
  tenantId: z.string(),
  tenantName: z.string(),
  period: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  currency: z.string(),
  status: z.enum(["DRAFT", "FINALIZED", "VOID"]),
  lines: z.array(InvoiceLineShape),
  usage: z.array(PlanUsageShape),
  subtotal: Money,
  total: Money,
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
  finalizedDate: EpochSeconds.optional(),
  voidedDate: EpochSeconds.optional(),
});

const GenerateInvoice = z.object({
  tenantId: z.string().min(1),
  period: z.string().describe("calendar month YYYY-MM (UTC)"),
});

const ReconciliationShape = z.object({
  tenantId: z.string(),
  period: z.string(),
  invoiceId: z.string().optional(),
  invoiceStatus: z.enum(["DRAFT", "FINALIZED", "VOID"]).optional(),
  agrees: z.boolean(),
  plans: z.array(
    z.object({
      usagePlanId: z.string(),
      ledgerRequests: z.number(),
      invoicedRequests: z.number(),
      purchasedTopUpRequests: z.number(),
      invoicedTopUpRequests: z.number(),
      overageRequests: z.number(),
      billedOverageRequests: z.number(),
      agrees: z.boolean(),
    }),
  ),
});

/** Billing: Tollgate's own resources, in API Gateway's style (camelCase, 201/202, `{item, position}`, patchOperations). */
export function billingRoutes(billing: Billing): AdminRoute[] {
  return [
    ...priceRoutes(billing),
    ...subscriptionRoutes(billing),
    ...topUpRoutes(billing),
    ...invoiceRoutes(billing),
  ];
}

function priceRoutes({ prices }: Billing): AdminRoute[] {
  const path = "/usageplans/{usageplanId}/price";
  return [
    route({
      operationId: "PutUsagePlanPrice",
      method: "PUT",
      path,
      summary: "Set or replace a usage plan's price: currency, monthly fee, included requests, overage tiers",
      body: PutPlanPrice,
      response: PlanPriceShape,
      status: 201,
      handle: ({ params, body }) => prices.put(params.usageplanId!, body),
    }),
    route({
      operationId: "GetUsagePlanPrice",
      method: "GET",
      path,
      summary: "Get a usage plan's price",
      response: PlanPriceShape,
      status: 200,
      handle: ({ params }) => prices.get(params.usageplanId!),
    }),
    route({
      operationId: "UpdateUsagePlanPrice",
      method: "PATCH",
      path,
      summary:
        "Update a price: replace /currency, /monthlyFee, /includedRequests, /tiersMode, /tiers (a JSON list)",
      body: PatchOperations,
      response: PlanPriceShape,
      status: 200,
      handle: ({ params, body }) => prices.update(params.usageplanId!, body.patchOperations),
    }),
    route({
      operationId: "DeleteUsagePlanPrice",
      method: "DELETE",
      path,
      summary: "Delete a usage plan's price (refused while a subscription to the plan runs)",
      status: 202,
      handle: ({ params }) => prices.delete(params.usageplanId!),
    }),
    route({
      operationId: "GetUsagePlanPrices",
      method: "GET",
      path: "/prices",
      summary: "List the prices of all usage plans",
      query: PAGING,
      response: collection(PlanPriceShape),
      status: 200,
      handle: async ({ query }) => paginate(await prices.list(), query.limit, query.position),
    }),
  ];
}

function subscriptionRoutes({ subscriptions }: Billing): AdminRoute[] {
  const list = "/tenants/{tenant_id}/subscriptions";
  const one = `${list}/{subscription_id}`;
  return [
    route({
      operationId: "CreateSubscription",
      method: "POST",
      path: list,
      summary:
        "Bill a tenant for a usage plan from a day; the current subscription ends the day before (a plan change)",
      body: CreateSubscription,
      response: SubscriptionShape,
      status: 201,
      handle: ({ params, body }) => subscriptions.create(params.tenant_id!, body),
    }),
    route({
      operationId: "GetSubscriptions",
      method: "GET",
      path: list,
      summary: "A tenant's subscription history, oldest first",
      query: PAGING,
      response: collection(SubscriptionShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await subscriptions.list(params.tenant_id!), query.limit, query.position),
    }),
    route({
      operationId: "GetSubscription",
      method: "GET",
      path: one,
      summary: "Get a subscription",
      response: SubscriptionShape,
      status: 200,
      handle: ({ params }) => subscriptions.get(params.tenant_id!, params.subscription_id!),
    }),
    route({
      operationId: "UpdateSubscription",
      method: "PATCH",
      path: one,
      summary: "Cancel on a day (replace /endDate) or resume (remove /endDate)",
      body: PatchOperations,
      response: SubscriptionShape,
      status: 200,
      handle: ({ params, body }) =>
        subscriptions.update(params.tenant_id!, params.subscription_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteSubscription",
      method: "DELETE",
      path: one,
      summary: "Delete the tenant's latest subscription (undo a plan change)",
      status: 202,
      handle: ({ params }) => subscriptions.delete(params.tenant_id!, params.subscription_id!),
    }),
  ];
}

function topUpRoutes({ topUps }: Billing): AdminRoute[] {
  const product = "/topupproducts/{product_id}";
  return [
    route({
      operationId: "CreateTopUpProduct",
      method: "POST",
      path: "/topupproducts",
      summary: "Create a top-up product: N extra requests for the current quota period at a price",
      body: CreateTopUpProduct,
      response: TopUpProductShape,
      status: 201,
      handle: ({ body }) => topUps.createProduct(body),
    }),
    route({
      operationId: "GetTopUpProducts",
      method: "GET",
      path: "/topupproducts",
      summary: "List top-up products",
      query: PAGING,
      response: collection(TopUpProductShape),
      status: 200,
      handle: async ({ query }) => paginate(await topUps.listProducts(), query.limit, query.position),
    }),
    route({
      operationId: "GetTopUpProduct",
      method: "GET",
      path: product,
      summary: "Get a top-up product",
      response: TopUpProductShape,
      status: 200,
      handle: ({ params }) => topUps.getProduct(params.product_id!),
    }),
    route({
      operationId: "UpdateTopUpProduct",
      method: "PATCH",
      path: product,
      summary: "Update a top-up product: replace /name, /description, /requests, /currency, /price",
      body: PatchOperations,
      response: TopUpProductShape,
      status: 200,
      handle: ({ params, body }) => topUps.updateProduct(params.product_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteTopUpProduct",
      method: "DELETE",
      path: product,
      summary: "Delete a top-up product (purchases keep their copy of it)",
      status: 202,
      handle: ({ params }) => topUps.deleteProduct(params.product_id!),
    }),
    route({
      operationId: "CreateTopUp",
      method: "POST",
      path: "/topups",
      summary: "Buy top-ups for a tenant's key on a plan: extends its current quota and bills the month",
      body: PurchaseTopUp,
      response: TopUpShape,
      status: 201,
      handle: ({ body }) => topUps.purchase(body),
    }),
    route({
      operationId: "GetTopUps",
      method: "GET",
      path: "/topups",
      summary: "List top-up purchases, oldest first",
      query: { tenantId: "only this tenant's", period: "only this month's (YYYY-MM)", ...PAGING },
      response: collection(TopUpShape),
      status: 200,
      handle: async ({ query }) =>
        paginate(
          await topUps.list({ tenantId: query.tenantId, period: query.period }),
          query.limit,
          query.position,
        ),
    }),
    route({
      operationId: "GetTopUp",
      method: "GET",
      path: "/topups/{topup_id}",
      summary: "Get a top-up purchase",
      response: TopUpShape,
      status: 200,
      handle: ({ params }) => topUps.get(params.topup_id!),
    }),
  ];
}

function invoiceRoutes(billing: Billing): AdminRoute[] {
  const { invoices } = billing;
  const one = "/invoices/{invoice_id}";
  return [
    route({
      operationId: "GenerateInvoice",
      method: "POST",
      path: "/invoices",
      summary:
        "Generate a tenant's invoice for a month: creates it, recomputes a draft, or returns a finalized one unchanged",
      body: GenerateInvoice,
      response: InvoiceShape,
      status: 201,
      handle: ({ body }) => invoices.generate(body.tenantId, body.period),
    }),
    route({
      operationId: "GetInvoices",
      method: "GET",
      path: "/invoices",
      summary: "List invoices; format=csv exports all matching lines as one CSV file",
      query: {
        tenantId: "only this tenant's",
        period: "only this month's (YYYY-MM)",
        status: "DRAFT, FINALIZED or VOID",
        format: "json (default, paged) or csv (every match, not paged)",
        ...PAGING,
      },
      response: collection(InvoiceShape),
      status: 200,
      handle: async ({ query }) => {
        const found = await invoices.list({
          tenantId: query.tenantId,
          period: query.period,
          status: query.status,
        });
        const format = query.format ?? "json";
        if (format === "csv")
          return csvResponse(found, `invoices${query.period ? `-${query.period}` : ""}.csv`);
        if (format !== "json")
          throw new BadRequestError(`Invalid format '${format}': a list exports as json or csv`);
        return paginate(found, query.limit, query.position);
      },
    }),
    route({
      operationId: "GetInvoice",
      method: "GET",
      path: one,
      summary: "Get an invoice as JSON, CSV or printable HTML (by format=json, csv or html, or by Accept)",
      query: { format: "json, csv or html; overrides Accept" },
      response: InvoiceShape,
      status: 200,
      handle: async ({ params, query, headers }) => {
        const invoice = await invoices.get(params.invoice_id!);
        const format = exportFormat(query.format, headers);
        if (format === "csv") return csvResponse([invoice], `invoice-${invoice.id}.csv`);
        if (format === "html")
          return new RawResponse("text/html; charset=utf-8", Buffer.from(invoiceHtml(invoice)));
        return invoice;
      },
    }),
    route({
      operationId: "FinalizeInvoice",
      method: "POST",
      path: `${one}/finalize`,
      summary: "Finalize a draft after its month has ended: recomputed once more, then never changed",
      response: InvoiceShape,
      status: 200,
      handle: ({ params }) => invoices.finalize(params.invoice_id!),
    }),
    route({
      operationId: "VoidInvoice",
      method: "POST",
      path: `${one}/void`,
      summary: "Void a finalized invoice; generating the month again starts a new one",
      response: InvoiceShape,
      status: 200,
      handle: ({ params }) => invoices.void(params.invoice_id!),
    }),
    route({
      operationId: "DeleteInvoice",
      method: "DELETE",
      path: one,
      summary: "Delete a draft invoice",
      status: 202,
      handle: ({ params }) => invoices.delete(params.invoice_id!),
    }),
    route({
      operationId: "GetReconciliation",
      method: "GET",
      path: "/tenants/{tenant_id}/reconciliations/{period}",
      summary:
        "A tenant's invoiced request counts for a month (YYYY-MM), plan by plan, next to the usage ledger's",
      response: ReconciliationShape,
      status: 200,
      handle: ({ params }) => billing.reconcile(params.tenant_id!, params.period!),
    }),
  ];
}

const FORMATS = { "application/json": "json", "text/csv": "csv", "text/html": "html" } as const;
type Format = (typeof FORMATS)[keyof typeof FORMATS];

/** `format` when given, else the first supported media type the Accept header lists, else JSON. */
function exportFormat(format: string | undefined, headers: IncomingHttpHeaders): Format {
  if (format !== undefined) {
    const wanted = format.toLowerCase();
    if (Object.values(FORMATS).includes(wanted as Format)) return wanted as Format;
    throw new BadRequestError(`Invalid format '${format}': must be json, csv or html`);
  }
  for (const part of (headers.accept ?? "").split(",")) {
    const type = part.split(";")[0]!.trim().toLowerCase() as keyof typeof FORMATS;
    if (FORMATS[type]) return FORMATS[type];
  }
  return "json";
}

function csvResponse(invoices: Invoice[], fileName: string): RawResponse {
  return new RawResponse("text/csv; charset=utf-8", Buffer.from(invoicesCsv(invoices)), {
    "content-disposition": `attachment; filename="${fileName}"`,
  });
}
