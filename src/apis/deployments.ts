import type { Clock } from "../core/clock.js";
import { BadRequestError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type PatchOperation, patchSegments, unsupportedPatch } from "../core/patch.js";
import { fromJson, type Store, type Tx, toJson } from "../store/index.js";
import type { ApiSnapshot } from "./model.js";
import { snapshotApi } from "./rest-apis.js";
import { type CanarySettings, requireRestApi, type StageDeployment, StageService } from "./stages.js";

/** What a deployment's API summary says of one method. */
export interface MethodSnapshot {
  authorizationType: string;
  apiKeyRequired: boolean;
}

/** A deployment: an immutable snapshot of an API that stages point at. */
export interface Deployment {
  id: string;
  description?: string;
  /** Epoch seconds. */
  createdDate: number;
  /** Resource path → HTTP method → summary; only with `embed=apisummary`. */
  apiSummary?: Record<string, Record<string, MethodSnapshot>>;
}

export interface CreateDeploymentInput {
  description?: string;
  stageName?: string;
  stageDescription?: string;
  cacheClusterEnabled?: boolean;
  cacheClusterSize?: string;
  variables?: Record<string, string>;
  canarySettings?: Omit<CanarySettings, "deploymentId">;
  tracingEnabled?: boolean;
}

type DeploymentRow = Awaited<ReturnType<DeploymentService["row"]>>;

/** Fields of CreateDeployment that configure the stage, so they need `stageName`. */
const STAGE_FIELDS = [
  "stageDescription",
  "cacheClusterEnabled",
  "cacheClusterSize",
  "variables",
  "canarySettings",
  "tracingEnabled",
] as const;

/** Deployments of a REST API: each freezes the API's resources and methods as they were. */
export class DeploymentService {
  private readonly stages: StageService;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.stages = new StageService(store, clock);
  }

  /**
   * Freezes the API into a new deployment. With `stageName` the stage is created or repointed
   * (or gets the deployment as its canary, with `canarySettings`), in the same transaction.
   */
  async create(restApiId: string, input: CreateDeploymentInput): Promise<Deployment> {
    const strayField = STAGE_FIELDS.find((field) => input[field] !== undefined);
    if (strayField && !input.stageName) {
      throw new BadRequestError(`'${strayField}' configures a stage: give 'stageName' too`);
    }
    const row = {
      id: newId(),
      rest_api_id: restApiId,
      description: input.description ?? null,
      snapshot: "",
      created_at: this.clock.now(),
    };
    await this.store.transaction(async (trx) => {
      const snapshot = await snapshotApi(trx, restApiId);
      if (!snapshot.resources.some((r) => Object.keys(r.resourceMethods ?? {}).length > 0)) {
        throw new BadRequestError("The REST API doesn't contain any methods");
      }
      row.snapshot = toJson(snapshot);
      await trx.insertInto("deployments").values(row).execute();
      if (input.stageName)
        await this.stages.deploy(trx, restApiId, row.id, stageDeployment(input.stageName, input));
      await this.store.bumpRevision(trx);
    });
    return toDeployment(row);
  }

  async list(restApiId: string): Promise<Deployment[]> {
    await requireRestApi(this.store.db, restApiId);
    const rows = await this.store.db
      .selectFrom("deployments")
      .selectAll()
      .where("rest_api_id", "=", restApiId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map((row) => toDeployment(row));
  }

  /** One deployment; `embed` containing `apisummary` adds the API summary, as AWS. */
  async get(restApiId: string, deploymentId: string, embed: string[] = []): Promise<Deployment> {
    const row = await this.row(this.store.db, restApiId, deploymentId);
    return toDeployment(
      row,
      embed.some((e) => e.toLowerCase() === "apisummary"),
    );
  }

  /** The frozen API a deployment serves; the gateway compiles its routes from it. */
  async snapshot(restApiId: string, deploymentId: string): Promise<ApiSnapshot> {
    const row = await this.row(this.store.db, restApiId, deploymentId);
    return fromJson<ApiSnapshot>(row.snapshot, emptySnapshot(restApiId));
  }

  /** Only `replace /description` applies: the snapshot itself never changes. */
  async update(restApiId: string, deploymentId: string, operations: PatchOperation[]): Promise<Deployment> {
    const row = { ...(await this.row(this.store.db, restApiId, deploymentId)) };
    for (const op of operations) {
      const segments = patchSegments(op.path);
      if (op.op !== "replace" || segments.length !== 1 || segments[0] !== "description") {
        throw unsupportedPatch(op, ["/description"]);
      }
      row.description = op.value || null;
    }
    await this.store.transaction(async (trx) => {
      await trx
        .updateTable("deployments")
        .set({ description: row.description })
        .where("id", "=", deploymentId)
        .execute();
      await this.store.bumpRevision(trx);
    });
    return toDeployment(row);
  }

  /** Deletes a deployment that no stage (nor any stage's canary) points at. */
  async delete(restApiId: string, deploymentId: string): Promise<void> {
    await this.row(this.store.db, restApiId, deploymentId);
    await this.store.transaction(async (trx) => {
      const stages = await trx
        .selectFrom("stages")
        .select(["deployment_id", "attributes"])
        .where("rest_api_id", "=", restApiId)
        .execute();
      const inUse = stages.some(
        (s) =>
          s.deployment_id === deploymentId ||
          fromJson<{ canarySettings?: CanarySettings }>(s.attributes, {}).canarySettings?.deploymentId ===
            deploymentId,
      );
      if (inUse)
        throw new BadRequestError("Active stages pointing to this deployment must be moved or deleted");
      await trx.deleteFrom("deployments").where("id", "=", deploymentId).execute();
      await this.store.bumpRevision(trx);
    });
  }

  private async row(db: Tx, restApiId: string, deploymentId: string) {
    await requireRestApi(db, restApiId);
    const row = await db
      .selectFrom("deployments")
      .selectAll()
      .where("rest_api_id", "=", restApiId)
      .where("id", "=", deploymentId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid Deployment identifier specified: ${deploymentId}`);
    return row;
  }
}

function stageDeployment(stageName: string, input: CreateDeploymentInput): StageDeployment {
  return {
    stageName,
    description: input.stageDescription,
    cacheClusterEnabled: input.cacheClusterEnabled,
    cacheClusterSize: input.cacheClusterSize,
    variables: input.variables,
    tracingEnabled: input.tracingEnabled,
    canary: input.canarySettings,
  };
}

function toDeployment(row: DeploymentRow, withSummary = false): Deployment {
  return {
    id: row.id,
    ...(row.description !== null ? { description: row.description } : {}),
    createdDate: Math.floor(row.created_at / 1000),
    ...(withSummary
      ? { apiSummary: apiSummary(fromJson(row.snapshot, emptySnapshot(row.rest_api_id))) }
      : {}),
  };
}

function apiSummary(snapshot: ApiSnapshot): Record<string, Record<string, MethodSnapshot>> {
  const summary: Record<string, Record<string, MethodSnapshot>> = {};
  for (const resource of snapshot.resources) {
    const methods = Object.entries(resource.resourceMethods ?? {});
    if (!methods.length) continue;
    summary[resource.path] = Object.fromEntries(
      methods.map(([verb, m]) => [
        verb,
        { authorizationType: m.authorizationType, apiKeyRequired: m.apiKeyRequired },
      ]),
    );
  }
  return summary;
}

function emptySnapshot(restApiId: string): ApiSnapshot {
  return { restApiId, name: "", apiKeySource: "HEADER", resources: [], definition: null };
}
