import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, EpochSeconds, PatchOperations, Tags } from "../shapes.js";

export const ApiKeyShape = z.object({
  id: z.string(),
  value: z.string().optional(),
  name: z.string().optional(),
  customerId: z.string().optional().describe("id of the tenant that owns the key"),
  description: z.string().optional(),
  enabled: z.boolean(),
  createdDate: EpochSeconds,
  lastUpdatedDate: EpochSeconds,
  stageKeys: z.array(z.string()).describe("'restApiId/stageName'"),
  tags: Tags.optional(),
  expiresDate: EpochSeconds.optional().describe("when a rotated-out or revoked key stops working"),
});

const CreateApiKey = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  generateDistinctId: z.boolean().optional(),
  value: z.string().optional().describe("20 to 128 characters; generated (40 characters) when absent"),
  stageKeys: z
    .array(z.object({ restApiId: z.string().optional(), stageName: z.string().optional() }))
    .optional(),
  customerId: z.string().optional().describe("id of an existing tenant"),
  tags: Tags.optional(),
});

const ApiKeyIdsShape = z.object({ ids: z.array(z.string()), warnings: z.array(z.string()) });

/** API keys, in API Gateway's paths and shapes (note AWS's `{api_Key}` label). */
export function apiKeyRoutes({ apiKeys }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateApiKey",
      method: "POST",
      path: "/apikeys",
      summary: "Create an API key; the answer is the only one that shows its value unasked",
      body: CreateApiKey,
      response: ApiKeyShape,
      status: 201,
      handle: ({ body }) => apiKeys.create(body),
    }),
    route({
      operationId: "ImportApiKeys",
      method: "POST",
      path: "/apikeys",
      when: { query: "mode", equals: "import" },
      summary: "Import API keys from AWS's CSV key file format",
      rawBody: { contentTypes: ["text/csv", "application/octet-stream"] },
      query: { format: "csv (required)", failonwarnings: "true: any warning fails the whole import" },
      response: ApiKeyIdsShape,
      status: 201,
      handle: ({ rawBody, query }) =>
        apiKeys.importCsv(rawBody.toString("utf8"), {
          format: query.format,
          failOnWarnings: query.failonwarnings === "true",
        }),
    }),
    route({
      operationId: "GetApiKeys",
      method: "GET",
      path: "/apikeys",
      summary: "List API keys",
      // The AWS SDK and CLI send GetApiKeys' nameQuery as `name`.
      query: {
        name: "key name prefix",
        nameQuery: "alias of name",
        customerId: "only keys of this tenant",
        includeValues: "true: include each key's value",
        limit: "page size, 1 to 500 (25)",
        position: "token from the previous page",
      },
      response: collection(ApiKeyShape),
      status: 200,
      handle: async ({ query }) => {
        const keys = await apiKeys.list({
          nameQuery: query.name ?? query.nameQuery,
          customerId: query.customerId,
          includeValues: query.includeValues === "true",
        });
        return paginate(keys, query.limit, query.position);
      },
    }),
    route({
      operationId: "GetApiKey",
      method: "GET",
      path: "/apikeys/{api_Key}",
      summary: "Get an API key; its value only with includeValue=true",
      query: { includeValue: "true: include the key's value" },
      response: ApiKeyShape,
      status: 200,
      handle: ({ params, query }) =>
        apiKeys.get(params.api_Key!, { includeValue: query.includeValue === "true" }),
    }),
    route({
      operationId: "UpdateApiKey",
      method: "PATCH",
      path: "/apikeys/{api_Key}",
      summary: "Update an API key (/name, /description, /enabled, /customerId, add or remove /stages)",
      body: PatchOperations,
      response: ApiKeyShape,
      status: 200,
      handle: ({ params, body }) => apiKeys.update(params.api_Key!, body.patchOperations),
    }),
    route({
      operationId: "DeleteApiKey",
      method: "DELETE",
      path: "/apikeys/{api_Key}",
      summary: "Delete an API key; it leaves every usage plan",
      status: 202,
      handle: ({ params }) => apiKeys.delete(params.api_Key!),
    }),
  ];
}
