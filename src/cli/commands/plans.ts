import type { Command } from "commander";
import { CliError } from "../client.js";
import { type Column, print } from "../output.js";
import type { UsagePlan } from "../shapes.js";
import { type ClientCommandFlags, clientCommand, clientFrom, numberFlag } from "./common.js";

const PLAN_COLUMNS: Column<UsagePlan>[] = [
  { header: "ID", value: (p) => p.id },
  { header: "NAME", value: (p) => p.name },
  {
    header: "THROTTLE",
    value: (p) =>
      p.throttle ? `${p.throttle.rateLimit ?? "-"} rps, burst ${p.throttle.burstLimit ?? "-"}` : "",
  },
  {
    header: "QUOTA",
    value: (p) =>
      p.quota ? `${p.quota.limit}/${p.quota.period}${p.quota.offset ? ` +${p.quota.offset}` : ""}` : "",
  },
  { header: "STAGES", value: (p) => (p.apiStages ?? []).map((s) => `${s.apiId}:${s.stage}`).join(", ") },
];

interface CreatePlanFlags extends ClientCommandFlags {
  name: string;
  description?: string;
  rate?: string;
  burst?: string;
  quota?: string;
  period?: string;
  offset?: string;
  api?: string[];
}

/** `tollgate plans`: usage plans with throttling, quotas and the API stages they cover. */
export function plansCommand(program: Command): void {
  const plans = program.command("plans").description("usage plans: throttling, quotas, API stages");

  clientCommand(plans, "create", "create a usage plan")
    .requiredOption("--name <name>", "plan name")
    .option("--description <text>", "plan description")
    .option("--rate <rps>", "throttle: steady requests per second")
    .option("--burst <n>", "throttle: burst size in requests")
    .option("--quota <n>", "requests per period")
    .option("--period <period>", "quota period: DAY, WEEK or MONTH")
    .option("--offset <n>", "quota offset in days into the period", "0")
    .option("--api <apiId:stage...>", "API stages the plan covers")
    .action(async (flags: CreatePlanFlags) => {
      const plan = await clientFrom(flags).request<UsagePlan>("POST", "/usageplans", {
        body: createPlanBody(flags),
      });
      print(plan, PLAN_COLUMNS, flags);
    });

  clientCommand(plans, "list", "list usage plans").action(async (flags: ClientCommandFlags) => {
    print(await clientFrom(flags).listAll<UsagePlan>("/usageplans"), PLAN_COLUMNS, flags);
  });
}

function createPlanBody(flags: CreatePlanFlags): Record<string, unknown> {
  const rateLimit = numberFlag("--rate", flags.rate);
  const burstLimit = numberFlag("--burst", flags.burst, true);
  const limit = numberFlag("--quota", flags.quota, true);
  const period = flags.period?.toUpperCase();
  if ((limit === undefined) !== (period === undefined))
    throw new CliError("--quota and --period go together");
  if (period !== undefined && !["DAY", "WEEK", "MONTH"].includes(period)) {
    throw new CliError(`Invalid --period '${flags.period}': expected DAY, WEEK or MONTH`);
  }
  const apiStages = (flags.api ?? []).map((ref) => {
    const [apiId, stage, ...rest] = ref.split(":");
    if (!apiId || !stage || rest.length) throw new CliError(`Invalid --api '${ref}': expected API_ID:STAGE`);
    return { apiId, stage };
  });
  return {
    name: flags.name,
    description: flags.description,
    throttle: rateLimit === undefined && burstLimit === undefined ? undefined : { rateLimit, burstLimit },
    quota:
      limit === undefined ? undefined : { limit, period, offset: numberFlag("--offset", flags.offset, true) },
    apiStages: apiStages.length ? apiStages : undefined,
  };
}
