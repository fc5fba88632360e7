/**
 * `tollgate apply`: makes the server match a declarative config file. Three steps, each usable
 * alone: `loadConfig` validates the file, `planChanges` compares it with the server state read by
 * `readState`, and `executePlan` carries the changes out through the admin API.
 */
import type { AdminClient } from "../client.js";
import type { DesiredConfig } from "./config.js";
import { type ApplyResult, executePlan } from "./execute.js";
import { type Plan, planChanges } from "./plan.js";
import { readState } from "./state.js";

export type { CreatedKey } from "./changes.js";
export { ConfigError, type DesiredConfig, loadConfig } from "./config.js";
export { type ApplyResult, executePlan } from "./execute.js";
export { type Plan, planChanges, SOURCE_TAG } from "./plan.js";
export { planJson, renderPlan, renderResult } from "./render.js";
export { readState } from "./state.js";

export interface ApplyOptions {
  /** Plan only: nothing is written. */
  dryRun?: boolean;
  /** Also delete what the file does not name. */
  prune?: boolean;
}

/**
 * Plans a loaded config against the admin API and, unless `dryRun`, executes the plan.
 *
 * @example
 *   const { plan, result } = await applyConfig(loadConfig("tollgate.yaml"), client);
 */
export async function applyConfig(
  config: DesiredConfig,
  client: AdminClient,
  options: ApplyOptions = {},
): Promise<{ plan: Plan; result?: ApplyResult }> {
  const plan = planChanges(config, await readState(client, config), { prune: options.prune });
  if (options.dryRun || !plan.changes.length) return { plan };
  return { plan, result: await executePlan(client, plan) };
}
