import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations } from "../shapes.js";

const MethodSnapshotShape = z.object({ authorizationType: z.string(), apiKeyRequired: z.boolean() });

export const DeploymentShape = z.object({
  id: z.string(),
  description: z.string().optional(),
  createdDate: EpochSeconds,
  apiSummary: z.record(z.string(), z.record(z.string(), MethodSnapshotShape)).optional(),
});

const CreateDeployment = z.object({
  stageName: z.string().optional(),
  stageDescription: z.string().optional(),
  description: z.string().optional(),
  cacheClusterEnabled: z.boolean().optional(),
  cacheClusterSize: z.string().optional(),
  variables: z.record(z.string(), z.string()).optional(),
  canarySettings: z
    .object({
      percentTraffic: z.number().optional(),
      stageVariableOverrides: z.record(z.string(), z.string()).optional(),
      useStageCache: z.boolean().optional(),
    })
    .optional(),
  tracingEnabled: z.boolean().optional(),
});

/** Deployments: CreateDeployment, GetDeployments, GetDeployment, UpdateDeployment, DeleteDeployment. */
export function deploymentRoutes({ deployments }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateDeployment",
      method: "POST",
      path: "/restapis/{restapi_id}/deployments",
      summary: "Deploy the API as it is now; with stageName, create or repoint that stage",
      body: CreateDeployment,
      response: DeploymentShape,
      status: 201,
      handle: ({ params, body }) => deployments.create(params.restapi_id!, body),
    }),
    route({
      operationId: "GetDeployments",
      method: "GET",
      path: "/restapis/{restapi_id}/deployments",
      summary: "List the API's deployments",
      query: { limit: "page size, 1 to 500 (25)", position: "token from the previous page" },
      response: collection(DeploymentShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await deployments.list(params.restapi_id!), query.limit, query.position),
    }),
    route({
      operationId: "GetDeployment",
      method: "GET",
      path: "/restapis/{restapi_id}/deployments/{deployment_id}",
      summary: "Get a deployment",
      query: { embed: "'apisummary' adds the deployed methods' summary" },
      response: DeploymentShape,
      status: 200,
      handle: ({ params, query }) =>
        deployments.get(params.restapi_id!, params.deployment_id!, query.embed?.split(",") ?? []),
    }),
    route({
      operationId: "UpdateDeployment",
      method: "PATCH",
      path: "/restapis/{restapi_id}/deployments/{deployment_id}",
      summary: "Update a deployment's description (replace /description)",
      body: PatchOperations,
      response: DeploymentShape,
      status: 200,
      handle: ({ params, body }) =>
        deployments.update(params.restapi_id!, params.deployment_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteDeployment",
      method: "DELETE",
      path: "/restapis/{restapi_id}/deployments/{deployment_id}",
      summary: "Delete a deployment that no stage points at",
      status: 202,
      handle: ({ params }) => deployments.delete(params.restapi_id!, params.deployment_id!),
    }),
  ];
}
