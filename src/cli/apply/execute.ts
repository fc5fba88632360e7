import type { AdminClient } from "../client.js";
import type { Change, CreatedKey, ExecContext } from "./changes.js";
import type { Plan } from "./plan.js";

/** What the execute step did; `failed` names the change that stopped it. */
export interface ApplyResult {
  applied: Change[];
  /** Keys created in this run, with generated values: the only time they are shown. */
  createdKeys: CreatedKey[];
  failed?: { change: Change; error: unknown };
  /** Ids of the named resources after the run, by kind and name. */
  ids: Pick<ExecContext, "apis" | "plans" | "tenants">;
}

/**
 * The execute step: runs the plan's changes in order and stops at the first failure. What ran
 * before it stays applied; running apply again plans only what is still missing.
 */
export async function executePlan(client: AdminClient, plan: Plan): Promise<ApplyResult> {
  const ctx: ExecContext = {
    client,
    apis: new Map(plan.known.apis),
    plans: new Map(plan.known.plans),
    tenants: new Map(plan.known.tenants),
    ipSets: new Map(plan.known.ipSets),
    createdKeys: [],
  };
  const applied: Change[] = [];
  for (const change of plan.changes) {
    try {
      await change.run(ctx);
    } catch (error) {
      return { applied, createdKeys: ctx.createdKeys, failed: { change, error }, ids: ctx };
    }
    applied.push(change);
  }
  return { applied, createdKeys: ctx.createdKeys, ids: ctx };
}
