import { writeFileSync } from "node:fs";
import type { Command } from "commander";
// Types only: the CLI talks to the admin API and reads its wire shapes.
import type {
  Invoice,
  InvoiceLine,
  PlanPrice,
  Reconciliation,
  Subscription,
  TopUp,
  TopUpProduct,
} from "../../billing/index.js";
import { AdminApiError, type AdminClient, CliError } from "../client.js";
import { type Column, date, print, say } from "../output.js";
import type { ApiKey, Tenant, UsagePlan } from "../shapes.js";
import { byIdOrName, type ClientCommandFlags, clientCommand, clientFrom, numberFlag } from "./common.js";

const PRICE_COLUMNS: Column<PlanPrice & { planName?: string }>[] = [
  { header: "PLAN", value: (p) => p.planName ?? p.usagePlanId },
  { header: "CURRENCY", value: (p) => p.currency },
  { header: "MONTHLY FEE", value: (p) => p.monthlyFee },
  { header: "INCLUDED", value: (p) => p.includedRequests },
  { header: "TIERS (per 1,000)", value: (p) => tiersText(p) },
];

const SUBSCRIPTION_COLUMNS: Column<Subscription>[] = [
  { header: "ID", value: (s) => s.id },
  { header: "PLAN", value: (s) => s.usagePlanId },
  { header: "FROM", value: (s) => s.startDate },
  { header: "TO", value: (s) => s.endDate ?? "" },
];

const PRODUCT_COLUMNS: Column<TopUpProduct>[] = [
  { header: "ID", value: (p) => p.id },
  { header: "NAME", value: (p) => p.name },
  { header: "REQUESTS", value: (p) => p.requests },
  { header: "PRICE", value: (p) => `${p.price} ${p.currency}` },
];

const TOPUP_COLUMNS: Column<TopUp>[] = [
  { header: "ID", value: (t) => t.id },
  { header: "TENANT", value: (t) => t.tenantId },
  { header: "KEY", value: (t) => t.keyId },
  { header: "PLAN", value: (t) => t.usagePlanId },
  { header: "REQUESTS", value: (t) => t.requests },
  { header: "AMOUNT", value: (t) => `${t.amount} ${t.currency}` },
  { header: "BOUGHT", value: (t) => date(t.createdDate) },
];

const INVOICE_COLUMNS: Column<Invoice>[] = [
  { header: "ID", value: (i) => i.id },
  { header: "TENANT", value: (i) => i.tenantName },
  { header: "PERIOD", value: (i) => i.period },
  { header: "STATUS", value: (i) => i.status },
  { header: "TOTAL", value: (i) => `${i.total} ${i.currency}` },
];

const LINE_COLUMNS: Column<InvoiceLine>[] = [
  { header: "DESCRIPTION", value: (l) => l.description },
  { header: "QUANTITY", value: (l) => l.quantity },
  { header: "UNIT", value: (l) => l.unitAmount },
  { header: "AMOUNT", value: (l) => l.amount },
];

const RECONCILIATION_COLUMNS: Column<Reconciliation["plans"][number]>[] = [
  { header: "PLAN", value: (p) => p.usagePlanId },
  { header: "LEDGER", value: (p) => p.ledgerRequests },
  { header: "INVOICED", value: (p) => p.invoicedRequests },
  { header: "TOP-UPS BOUGHT", value: (p) => p.purchasedTopUpRequests },
  { header: "TOP-UPS INVOICED", value: (p) => p.invoicedTopUpRequests },
  { header: "OVERAGE", value: (p) => p.overageRequests },
  { header: "AGREES", value: (p) => p.agrees },
];

interface PriceFlags extends ClientCommandFlags {
  currency: string;
  fee?: string;
  included?: string;
  mode?: string;
  tier?: string[];
}

interface InvoiceFlags extends ClientCommandFlags {
  tenant?: string;
  period?: string;
  status?: string;
  all?: boolean;
  format?: string;
  output?: string;
}

/** `tollgate billing`: prices on plans, subscriptions, top-ups, invoices and their exports. */
export function billingCommand(program: Command): void {
  const billing = program
    .command("billing")
    .description("billing: prices on plans, subscriptions, top-ups, invoices (JSON, CSV, HTML)");
  priceCommands(billing);
  subscriptionCommands(billing);
  topUpCommands(billing);
  invoiceCommands(billing);

  clientCommand(
    billing,
    "reconcile <tenant>",
    "compare a month's invoice with the usage ledger, plan by plan",
  )
    .requiredOption("--period <YYYY-MM>", "the month")
    .action(async (ref: string, flags: InvoiceFlags) => {
      const admin = clientFrom(flags);
      const tenant = byIdOrName(await admin.listAll<Tenant>("/tenants"), ref, "tenant");
      const result = await admin.request<Reconciliation>(
        "GET",
        `/tenants/${tenant.id}/reconciliations/${flags.period}`,
      );
      // Scripts can tell agreement from the exit code alone: 2 when the invoice and ledger differ.
      if (!result.agrees) process.exitCode = 2;
      if (flags.json) return print(result, [], flags);
      print(result.plans, RECONCILIATION_COLUMNS, flags);
      say(
        result.agrees ? "The invoice agrees with the ledger." : "The invoice does NOT agree with the ledger.",
      );
    });
}

function priceCommands(billing: Command): void {
  const price = billing.command("price").description("the price of a usage plan");

  clientCommand(price, "set <plan>", "set or replace a plan's price")
    .requiredOption("--currency <code>", "ISO 4217 currency code, e.g. USD, EUR, JPY")
    .option("--fee <amount>", "monthly fee, e.g. 49.00 (default 0)")
    .option("--included <requests>", "requests included in the fee each month (default 0)")
    .option("--mode <mode>", "overage tiers: graduated (default) or volume")
    .option(
      "--tier <upTo:price...>",
      "overage tier: requests up to (or 'inf' for the last) and price per 1,000, e.g. 100000:0.50 inf:0.25",
    )
    .action(async (ref: string, flags: PriceFlags) => {
      const admin = clientFrom(flags);
      const plan = byIdOrName(await admin.listAll<UsagePlan>("/usageplans"), ref, "usage plan");
      const body = {
        currency: flags.currency,
        monthlyFee: flags.fee,
        includedRequests: numberFlag("--included", flags.included, true),
        tiersMode: flags.mode?.toUpperCase(),
        tiers: flags.tier?.map(parseTier),
      };
      const put = await admin.request<PlanPrice>("PUT", `/usageplans/${plan.id}/price`, { body });
      print({ ...put, planName: plan.name }, PRICE_COLUMNS, flags);
    });

  clientCommand(price, "get <plan>", "show a plan's price").action(
    async (ref: string, flags: ClientCommandFlags) => {
      const admin = clientFrom(flags);
      const plan = byIdOrName(await admin.listAll<UsagePlan>("/usageplans"), ref, "usage plan");
      const got = await admin.request<PlanPrice>("GET", `/usageplans/${plan.id}/price`);
      print({ ...got, planName: plan.name }, PRICE_COLUMNS, flags);
    },
  );

  clientCommand(billing, "prices", "list the prices of all plans").action(
    async (flags: ClientCommandFlags) => {
      const admin = clientFrom(flags);
      const [prices, plans] = await Promise.all([
        admin.listAll<PlanPrice>("/prices"),
        admin.listAll<UsagePlan>("/usageplans"),
      ]);
      const names = new Map(plans.map((p) => [p.id, p.name]));
      print(
        prices.map((p) => ({ ...p, planName: names.get(p.usagePlanId) })),
        PRICE_COLUMNS,
        flags,
      );
    },
  );
}

function subscriptionCommands(billing: Command): void {
  clientCommand(
    billing,
    "subscribe <tenant> <plan>",
    "bill a tenant for a plan from a day (ends the current subscription the day before)",
  )
    .requiredOption("--from <YYYY-MM-DD>", "first day on the plan (UTC)")
    .action(async (tenantRef: string, planRef: string, flags: ClientCommandFlags & { from: string }) => {
      const admin = clientFrom(flags);
      const { tenant, plan } = await tenantAndPlan(admin, tenantRef, planRef);
      const created = await admin.request<Subscription>("POST", `/tenants/${tenant.id}/subscriptions`, {
        body: { usagePlanId: plan.id, startDate: flags.from },
      });
      print(created, SUBSCRIPTION_COLUMNS, flags);
    });

  clientCommand(billing, "subscriptions <tenant>", "a tenant's subscription history").action(
    async (ref: string, flags: ClientCommandFlags) => {
      const admin = clientFrom(flags);
      const tenant = byIdOrName(await admin.listAll<Tenant>("/tenants"), ref, "tenant");
      print(
        await admin.listAll<Subscription>(`/tenants/${tenant.id}/subscriptions`),
        SUBSCRIPTION_COLUMNS,
        flags,
      );
    },
  );
}

function topUpCommands(billing: Command): void {
  const products = billing.command("products").description("top-up products: extra requests at a price");

  clientCommand(products, "create", "create a top-up product")
    .requiredOption("--name <name>", "product name")
    .requiredOption("--requests <n>", "extra requests per unit")
    .requiredOption("--price <amount>", "price per unit, e.g. 5.00")
    .requiredOption("--currency <code>", "ISO 4217 currency code")
    .action(
      async (
        flags: ClientCommandFlags & { name: string; requests: string; price: string; currency: string },
      ) => {
        const product = await clientFrom(flags).request<TopUpProduct>("POST", "/topupproducts", {
          body: {
            name: flags.name,
            requests: numberFlag("--requests", flags.requests, true),
            price: flags.price,
            currency: flags.currency,
          },
        });
        print(product, PRODUCT_COLUMNS, flags);
      },
    );

  clientCommand(products, "list", "list top-up products").action(async (flags: ClientCommandFlags) => {
    print(await clientFrom(flags).listAll<TopUpProduct>("/topupproducts"), PRODUCT_COLUMNS, flags);
  });

  clientCommand(
    billing,
    "topup <key>",
    "buy top-ups for a key on a plan: extends its quota now, billed this month",
  )
    .requiredOption("--plan <idOrName>", "the usage plan whose quota grows")
    .requiredOption("--product <idOrName>", "the top-up product")
    .option("--quantity <n>", "units to buy", "1")
    .action(
      async (
        keyRef: string,
        flags: ClientCommandFlags & { plan: string; product: string; quantity: string },
      ) => {
        const admin = clientFrom(flags);
        const [keys, plans, products] = await Promise.all([
          admin.listAll<ApiKey>("/apikeys"),
          admin.listAll<UsagePlan>("/usageplans"),
          admin.listAll<TopUpProduct>("/topupproducts"),
        ]);
        const bought = await admin.request<TopUp>("POST", "/topups", {
          body: {
            keyId: byIdOrName(keys, keyRef, "API key").id,
            usagePlanId: byIdOrName(plans, flags.plan, "usage plan").id,
            productId: byIdOrName(products, flags.product, "top-up product").id,
            quantity: numberFlag("--quantity", flags.quantity, true),
          },
        });
        print(bought, TOPUP_COLUMNS, flags);
      },
    );

  clientCommand(billing, "topups", "list top-up purchases")
    .option("--tenant <idOrName>", "only this tenant's")
    .option("--period <YYYY-MM>", "only this month's")
    .action(async (flags: InvoiceFlags) => {
      const admin = clientFrom(flags);
      const tenantId = flags.tenant
        ? byIdOrName(await admin.listAll<Tenant>("/tenants"), flags.tenant, "tenant").id
        : undefined;
      print(await admin.listAll<TopUp>("/topups", { tenantId, period: flags.period }), TOPUP_COLUMNS, flags);
    });
}

function invoiceCommands(billing: Command): void {
  const invoices = billing.command("invoices").description("invoices per tenant and month");

  clientCommand(invoices, "list", "list invoices")
    .option("--tenant <idOrName>", "only this tenant's")
    .option("--period <YYYY-MM>", "only this month's")
    .option("--status <status>", "DRAFT, FINALIZED or VOID")
    .action(async (flags: InvoiceFlags) => {
      const admin = clientFrom(flags);
      print(
        await admin.listAll<Invoice>("/invoices", await invoiceQuery(admin, flags)),
        INVOICE_COLUMNS,
        flags,
      );
    });

  clientCommand(
    invoices,
    "generate",
    "generate (or recompute a draft of) a month's invoice, for one tenant or all",
  )
    .requiredOption("--period <YYYY-MM>", "the month")
    .option("--tenant <idOrName>", "the tenant")
    .option("--all", "every tenant; those with nothing to bill are skipped")
    .action(async (flags: InvoiceFlags) => {
      if (!flags.tenant === !flags.all) throw new CliError("Give either --tenant or --all");
      const admin = clientFrom(flags);
      const tenants = await admin.listAll<Tenant>("/tenants");
      const chosen = flags.all ? tenants : [byIdOrName(tenants, flags.tenant!, "tenant")];
      const generated: Invoice[] = [];
      for (const tenant of chosen) {
        try {
          generated.push(
            await admin.request<Invoice>("POST", "/invoices", {
              body: { tenantId: tenant.id, period: flags.period },
            }),
          );
        } catch (error) {
          if (!(flags.all && error instanceof AdminApiError && /Nothing to bill/.test(error.message)))
            throw error;
          process.stderr.write(`Skipped ${tenant.name}: nothing to bill in ${flags.period}\n`);
        }
      }
      print(flags.all ? generated : generated[0]!, INVOICE_COLUMNS, flags);
    });

  clientCommand(invoices, "show <id>", "show an invoice, or write it as CSV or printable HTML")
    .option("--format <format>", "table (default), csv or html")
    .option("--output <file>", "write to this file instead of standard output")
    .action(async (id: string, flags: InvoiceFlags) => {
      const admin = clientFrom(flags);
      const format = (flags.format ?? "table").toLowerCase();
      if (format === "csv" || format === "html") {
        return emit(
          await admin.text("GET", `/invoices/${encodeURIComponent(id)}`, { query: { format } }),
          flags.output,
        );
      }
      if (format !== "table")
        throw new CliError(`Invalid --format '${flags.format}': expected table, csv or html`);
      const invoice = await admin.request<Invoice>("GET", `/invoices/${encodeURIComponent(id)}`);
      if (flags.json) return print(invoice, [], flags);
      print(invoice, INVOICE_COLUMNS, flags);
      print(invoice.lines, LINE_COLUMNS, flags);
      say(`Total: ${invoice.total} ${invoice.currency}`);
    });

  for (const [action, description] of [
    ["finalize", "finalize a draft (after its month has ended); it never changes again"],
    ["void", "void a finalized invoice; generate the month again for a new one"],
  ] as const) {
    clientCommand(invoices, `${action} <id>`, description).action(
      async (id: string, flags: ClientCommandFlags) => {
        print(
          await clientFrom(flags).request<Invoice>("POST", `/invoices/${encodeURIComponent(id)}/${action}`),
          INVOICE_COLUMNS,
          flags,
        );
      },
    );
  }

  clientCommand(invoices, "export", "export every matching invoice's lines as one CSV file", { json: false })
    .option("--tenant <idOrName>", "only this tenant's")
    .option("--period <YYYY-MM>", "only this month's")
    .option("--status <status>", "DRAFT, FINALIZED or VOID")
    .option("--output <file>", "write to this file instead of standard output")
    .action(async (flags: InvoiceFlags) => {
      const admin = clientFrom(flags);
      const query = { ...(await invoiceQuery(admin, flags)), format: "csv" };
      emit(await admin.text("GET", "/invoices", { query }), flags.output);
    });
}

/** `--tier 100000:0.50`, `--tier inf:0.25` (or just `0.25`) as a price tier. */
function parseTier(text: string): { upTo?: number; unitAmount: string } {
  const [upTo, unitAmount, ...rest] = text.includes(":") ? text.split(":") : ["inf", text];
  if (!unitAmount || rest.length)
    throw new CliError(`Invalid --tier '${text}': expected UPTO:PRICE, e.g. 100000:0.50 or inf:0.25`);
  if (upTo === "inf") return { unitAmount };
  return { upTo: numberFlag("--tier", upTo, true), unitAmount };
}

function tiersText(price: PlanPrice): string {
  if (price.tiers.length === 0) return "";
  const tiers = price.tiers.map((t) => `${t.upTo ?? "inf"}:${t.unitAmount}`).join(" ");
  return `${price.tiersMode.toLowerCase()} ${tiers}`;
}

async function tenantAndPlan(admin: AdminClient, tenantRef: string, planRef: string) {
  const [tenants, plans] = await Promise.all([
    admin.listAll<Tenant>("/tenants"),
    admin.listAll<UsagePlan>("/usageplans"),
  ]);
  return { tenant: byIdOrName(tenants, tenantRef, "tenant"), plan: byIdOrName(plans, planRef, "usage plan") };
}

async function invoiceQuery(
  admin: AdminClient,
  flags: InvoiceFlags,
): Promise<Record<string, string | undefined>> {
  const tenantId = flags.tenant
    ? byIdOrName(await admin.listAll<Tenant>("/tenants"), flags.tenant, "tenant").id
    : undefined;
  return { tenantId, period: flags.period, status: flags.status?.toUpperCase() };
}

/** Writes an export to a file, or to standard output as is. */
function emit(text: string, output: string | undefined): void {
  if (output) {
    writeFileSync(output, text);
    say(`Wrote ${output}`);
  } else process.stdout.write(text);
}
