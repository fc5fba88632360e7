import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, PatchOperations, Tags } from "../shapes.js";

/** Token bucket limits. Types only here: the domain checks ranges, with clearer messages. */
const ThrottleShape = z.object({ burstLimit: z.number().optional(), rateLimit: z.number().optional() });

const QuotaShape = z.object({
  limit: z.number().optional(),
  offset: z.number().optional(),
  period: z.string().optional().describe("DAY, WEEK or MONTH"),
});

const ApiStageShape = z.object({
  apiId: z.string().optional(),
  stage: z.string().optional(),
  throttle: z
    .record(z.string(), ThrottleShape)
    .optional()
    .describe("per-method limits keyed by '/{resourcePath}/{httpMethod}', e.g. '/pets/{petId}/GET'"),
});

export const UsagePlanShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  apiStages: z.array(ApiStageShape),
  throttle: ThrottleShape.optional(),
  quota: QuotaShape.optional(),
  productCode: z.string().optional(),
  tags: Tags.optional(),
});

export const UsagePlanKeyShape = z.object({
  id: z.string(),
  type: z.literal("API_KEY"),
  value: z.string(),
  name: z.string().optional(),
});

const CreateUsagePlan = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  apiStages: z.array(ApiStageShape).optional(),
  throttle: ThrottleShape.optional(),
  quota: QuotaShape.optional(),
  productCode: z.string().optional(),
  tags: Tags.optional(),
});

const CreateUsagePlanKey = z.object({ keyId: z.string().min(1), keyType: z.string() });

const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };

/** Usage plans and usage plan keys, in API Gateway's paths and shapes. */
export function usagePlanRoutes({ usagePlans, apiKeys }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateUsagePlan",
      method: "POST",
      path: "/usageplans",
      summary: "Create a usage plan: throttle, quota and the API stages it covers",
      body: CreateUsagePlan,
      response: UsagePlanShape,
      status: 201,
      handle: ({ body }) => usagePlans.create(body),
    }),
    route({
      operationId: "GetUsagePlans",
      method: "GET",
      path: "/usageplans",
      summary: "List usage plans, optionally only those holding a key",
      query: { keyId: "only plans that hold this API key", ...PAGING },
      response: collection(UsagePlanShape),
      status: 200,
      handle: async ({ query }) =>
        paginate(await usagePlans.list({ keyId: query.keyId }), query.limit, query.position),
    }),
    route({
      operationId: "GetUsagePlan",
      method: "GET",
      path: "/usageplans/{usageplanId}",
      summary: "Get a usage plan",
      response: UsagePlanShape,
      status: 200,
      handle: ({ params }) => usagePlans.get(params.usageplanId!),
    }),
    route({
      operationId: "UpdateUsagePlan",
      method: "PATCH",
      path: "/usageplans/{usageplanId}",
      summary:
        "Update a usage plan with patch operations (/name, /description, /productCode, /throttle/*, /quota/*, /apiStages, /apiStages/{apiId}:{stage}/throttle/...)",
      body: PatchOperations,
      response: UsagePlanShape,
      status: 200,
      handle: ({ params, body }) => usagePlans.update(params.usageplanId!, body.patchOperations),
    }),
    route({
      operationId: "DeleteUsagePlan",
      method: "DELETE",
      path: "/usageplans/{usageplanId}",
      summary: "Delete a usage plan that covers no API stage",
      status: 202,
      handle: ({ params }) => usagePlans.delete(params.usageplanId!),
    }),
    route({
      operationId: "CreateUsagePlanKey",
      method: "POST",
      path: "/usageplans/{usageplanId}/keys",
      summary: "Put an API key on a usage plan",
      body: CreateUsagePlanKey,
      response: UsagePlanKeyShape,
      status: 201,
      handle: ({ params, body }) => apiKeys.addToPlan(params.usageplanId!, body),
    }),
    route({
      operationId: "GetUsagePlanKeys",
      method: "GET",
      path: "/usageplans/{usageplanId}/keys",
      summary: "List the keys on a usage plan",
      // The AWS SDK and CLI send GetUsagePlanKeys' nameQuery as `name`.
      query: { name: "key name prefix", nameQuery: "alias of name", ...PAGING },
      response: collection(UsagePlanKeyShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(
          await apiKeys.listOnPlan(params.usageplanId!, query.name ?? query.nameQuery),
          query.limit,
          query.position,
        ),
    }),
    route({
      operationId: "GetUsagePlanKey",
      method: "GET",
      path: "/usageplans/{usageplanId}/keys/{keyId}",
      summary: "Get a key of a usage plan",
      response: UsagePlanKeyShape,
      status: 200,
      handle: ({ params }) => apiKeys.getOnPlan(params.usageplanId!, params.keyId!),
    }),
    route({
      operationId: "DeleteUsagePlanKey",
      method: "DELETE",
      path: "/usageplans/{usageplanId}/keys/{keyId}",
      summary: "Take a key off a usage plan",
      status: 202,
      handle: ({ params }) => apiKeys.removeFromPlan(params.usageplanId!, params.keyId!),
    }),
  ];
}
