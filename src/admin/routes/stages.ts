import { z } from "zod";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { EpochSeconds, PatchOperations, Tags } from "../shapes.js";

const StringMap = z.record(z.string(), z.string());

const MethodSettingShape = z.object({
  metricsEnabled: z.boolean().optional(),
  loggingLevel: z.string().optional(),
  dataTraceEnabled: z.boolean().optional(),
  throttlingBurstLimit: z.number().optional(),
  throttlingRateLimit: z.number().optional(),
  cachingEnabled: z.boolean().optional(),
  cacheTtlInSeconds: z.number().optional(),
  cacheDataEncrypted: z.boolean().optional(),
  requireAuthorizationForCacheControl: z.boolean().optional(),
  unauthorizedCacheControlHeaderStrategy: z.string().optional(),
});

const CanarySettingsShape = z.object({
  percentTraffic: z.number().optional(),
  deploymentId: z.string().optional(),
  stageVariableOverrides: StringMap.optional(),
  useStageCache: z.boolean().optional(),
});

export const StageShape = z.object({
  deploymentId: z.string(),
  stageName: z.string(),
  description: z.string().optional(),
  cacheClusterEnabled: z.boolean(),
  cacheClusterSize: z.string().optional(),
  cacheClusterStatus: z.string(),
  methodSettings: z.record(z.string(), MethodSettingShape),
  variables: StringMap.optional(),
  documentationVersion: z.string().optional(),
  accessLogSettings: z
    .object({ format: z.string().optional(), destinationArn: z.string().optional() })
    .optional(),
  canarySettings: CanarySettingsShape.optional(),
  tracingEnabled: z.boolean(),
  clientCertificateId: z.string().optional(),
  tags: Tags.optional(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
});

const CreateStage = z.object({
  stageName: z.string(),
  deploymentId: z.string(),
  description: z.string().optional(),
  cacheClusterEnabled: z.boolean().optional(),
  cacheClusterSize: z.string().optional(),
  variables: StringMap.optional(),
  documentationVersion: z.string().optional(),
  canarySettings: CanarySettingsShape.optional(),
  tracingEnabled: z.boolean().optional(),
  tags: Tags.optional(),
});

/** Stages: CreateStage, GetStages, GetStage, UpdateStage, DeleteStage, FlushStageCache, FlushStageAuthorizersCache. */
export function stageRoutes({ stages }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateStage",
      method: "POST",
      path: "/restapis/{restapi_id}/stages",
      summary: "Create a stage pointing at a deployment",
      body: CreateStage,
      response: StageShape,
      status: 201,
      handle: ({ params, body }) => stages.create(params.restapi_id!, body),
    }),
    route({
      operationId: "GetStages",
      method: "GET",
      path: "/restapis/{restapi_id}/stages",
      summary: "List the API's stages (not paged, as AWS)",
      query: { deploymentId: "only the stages pointing at this deployment" },
      response: z.object({ item: z.array(StageShape) }),
      status: 200,
      handle: async ({ params, query }) => ({
        item: await stages.list(params.restapi_id!, query.deploymentId),
      }),
    }),
    route({
      operationId: "GetStage",
      method: "GET",
      path: "/restapis/{restapi_id}/stages/{stage_name}",
      summary: "Get a stage",
      response: StageShape,
      status: 200,
      handle: ({ params }) => stages.get(params.restapi_id!, params.stage_name!),
    }),
    route({
      operationId: "UpdateStage",
      method: "PATCH",
      path: "/restapis/{restapi_id}/stages/{stage_name}",
      summary:
        "Update a stage with patch operations (/deploymentId, /variables/{name}, /{resourcePath}/{httpMethod}/throttling/rateLimit, /canarySettings/..., ...)",
      body: PatchOperations,
      response: StageShape,
      status: 200,
      handle: ({ params, body }) =>
        stages.update(params.restapi_id!, params.stage_name!, body.patchOperations),
    }),
    route({
      operationId: "FlushStageCache",
      method: "DELETE",
      path: "/restapis/{restapi_id}/stages/{stage_name}/cache/data",
      summary: "Flush the stage's response cache on every gateway process (within a second)",
      status: 202,
      handle: ({ params }) => stages.flushCache(params.restapi_id!, params.stage_name!),
    }),
    route({
      operationId: "FlushStageAuthorizersCache",
      method: "DELETE",
      path: "/restapis/{restapi_id}/stages/{stage_name}/cache/authorizers",
      summary: "Flush the cached answers of the API's authorizers on every gateway process",
      status: 202,
      handle: ({ params }) => stages.flushAuthorizersCache(params.restapi_id!, params.stage_name!),
    }),
    route({
      operationId: "DeleteStage",
      method: "DELETE",
      path: "/restapis/{restapi_id}/stages/{stage_name}",
      summary: "Delete a stage and the base path mappings that route to it",
      status: 202,
      handle: ({ params }) => stages.delete(params.restapi_id!, params.stage_name!),
    }),
  ];
}
