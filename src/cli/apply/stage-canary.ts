import type { CanarySettings, Stage } from "../shapes.js";
import type { FieldChange, PatchOp } from "./changes.js";
import type { CanaryConfig } from "./config.js";

/** The canary part of a stage's change. */
export interface CanaryPlan {
  ops: PatchOp[];
  fields: FieldChange[];
  /**
   * Set when the OpenAPI file changed and the stage keeps a canary: the document is deployed as
   * the canary (CreateDeployment's `canarySettings`, the current ones kept) instead of to the base.
   */
  deployAsCanary?: Omit<CanarySettings, "deploymentId">;
}

export interface CanaryContext {
  /** The OpenAPI file changed: the stage gets a new deployment of it. */
  redeploy: boolean;
  /** The stage's canary runs a deployment apply made of the file's current document. */
  canaryRunsDocument: boolean;
}

/**
 * The file's `canary` against the stage's `canarySettings`. The file names no deployment ids:
 * a canary runs the file's OpenAPI document. Adding the block makes the stage's deployment the
 * canary (overrides only) until the document changes, which is then deployed to the canary while
 * the base keeps its deployment, as the AWS console deploys to a stage with a canary. Removing
 * the block ends the canary; when the canary runs the file's document the base takes its
 * deployment (AWS's promotion), so that the stage serves what the file says.
 */
export function canaryPlan(
  desired: CanaryConfig | undefined,
  current: Stage,
  context: CanaryContext,
): CanaryPlan {
  const have = current.canarySettings;
  const ops: PatchOp[] = [];
  const fields: FieldChange[] = [];
  if (!desired) {
    if (!have) return { ops, fields };
    const promote =
      !context.redeploy &&
      context.canaryRunsDocument &&
      have.deploymentId !== undefined &&
      have.deploymentId !== current.deploymentId;
    if (promote) {
      ops.push({ op: "replace", path: "/deploymentId", value: have.deploymentId });
      fields.push({
        field: "deployment",
        from: current.deploymentId,
        to: `${have.deploymentId} (the canary's, promoted)`,
      });
    }
    ops.push({ op: "remove", path: "/canarySettings" });
    fields.push({ field: "canary", from: have });
    return { ops, fields };
  }

  let deployAsCanary: CanaryPlan["deployAsCanary"];
  if (context.redeploy) {
    // The deployment keeps the canary's current settings; the patch below brings them to the file's.
    deployAsCanary = {
      percentTraffic: have?.percentTraffic ?? 0,
      useStageCache: have?.useStageCache ?? false,
      ...(have?.stageVariableOverrides ? { stageVariableOverrides: have.stageVariableOverrides } : {}),
    };
    fields.push({
      field: "canary.deployment",
      from: have?.deploymentId,
      to: "(new: the OpenAPI file changed)",
    });
  } else if (!have) {
    // UpdateStage starts a canary on the stage's own deployment.
    const base = current.deploymentId ? `${current.deploymentId} (the stage's)` : "(the stage's)";
    fields.push({ field: "canary.deployment", to: base });
  }
  if (have?.percentTraffic !== desired.percentTraffic) {
    ops.push({
      op: "replace",
      path: "/canarySettings/percentTraffic",
      value: String(desired.percentTraffic),
    });
    fields.push({ field: "canary.percentTraffic", from: have?.percentTraffic, to: desired.percentTraffic });
  }
  const useStageCache = have?.useStageCache ?? false;
  if (desired.useStageCache !== undefined && desired.useStageCache !== useStageCache) {
    ops.push({ op: "replace", path: "/canarySettings/useStageCache", value: String(desired.useStageCache) });
    fields.push({ field: "canary.useStageCache", from: useStageCache, to: desired.useStageCache });
  }
  if (desired.stageVariableOverrides) {
    const overrides = have?.stageVariableOverrides ?? {};
    const path = (name: string) => `/canarySettings/stageVariableOverrides/${name}`;
    for (const [name, value] of Object.entries(desired.stageVariableOverrides)) {
      if (overrides[name] === value) continue;
      ops.push({ op: "replace", path: path(name), value });
      fields.push({ field: `canary.stageVariableOverrides.${name}`, from: overrides[name], to: value });
    }
    for (const name of Object.keys(overrides)) {
      if (name in desired.stageVariableOverrides) continue;
      ops.push({ op: "remove", path: path(name) });
      fields.push({ field: `canary.stageVariableOverrides.${name}`, from: overrides[name] });
    }
  }
  return { ops, fields, ...(deployAsCanary ? { deployAsCanary } : {}) };
}
