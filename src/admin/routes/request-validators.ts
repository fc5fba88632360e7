import { z } from "zod";
import { paginate } from "../../core/paging.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { collection, PatchOperations } from "../shapes.js";

export const RequestValidatorShape = z.object({
  id: z.string(),
  name: z.string(),
  validateRequestBody: z.boolean(),
  validateRequestParameters: z.boolean(),
});

export const ModelShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  schema: z.string().optional(),
  contentType: z.string(),
});

const CreateRequestValidator = z.object({
  name: z.string().min(1).max(128),
  validateRequestBody: z.boolean().optional(),
  validateRequestParameters: z.boolean().optional(),
});

const CreateModel = z.object({
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  schema: z.string().optional(),
  contentType: z.string().min(1),
});

const PAGING = { limit: "page size, 1 to 500 (25)", position: "token from the previous page" };
const VALIDATOR = "/restapis/{restapi_id}/requestvalidators/{requestvalidator_id}";
const MODEL = "/restapis/{restapi_id}/models/{model_name}";

/** Request validators and models of a REST API, as API Gateway's operations. */
export function requestValidatorRoutes({ requestValidators, models }: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "CreateRequestValidator",
      method: "POST",
      path: "/restapis/{restapi_id}/requestvalidators",
      summary: "Create a request validator: check the body, the required parameters, or both",
      body: CreateRequestValidator,
      response: RequestValidatorShape,
      status: 201,
      handle: ({ params, body }) => requestValidators.create(params.restapi_id!, body),
    }),
    route({
      operationId: "GetRequestValidators",
      method: "GET",
      path: "/restapis/{restapi_id}/requestvalidators",
      summary: "List the API's request validators",
      query: PAGING,
      response: collection(RequestValidatorShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await requestValidators.list(params.restapi_id!), query.limit, query.position),
    }),
    route({
      operationId: "GetRequestValidator",
      method: "GET",
      path: VALIDATOR,
      summary: "Get a request validator",
      response: RequestValidatorShape,
      status: 200,
      handle: ({ params }) => requestValidators.get(params.restapi_id!, params.requestvalidator_id!),
    }),
    route({
      operationId: "UpdateRequestValidator",
      method: "PATCH",
      path: VALIDATOR,
      summary: "Update a request validator (/name, /validateRequestBody, /validateRequestParameters)",
      body: PatchOperations,
      response: RequestValidatorShape,
      status: 200,
      handle: ({ params, body }) =>
        requestValidators.update(params.restapi_id!, params.requestvalidator_id!, body.patchOperations),
    }),
    route({
      operationId: "DeleteRequestValidator",
      method: "DELETE",
      path: VALIDATOR,
      summary: "Delete a request validator no method uses",
      status: 202,
      handle: ({ params }) => requestValidators.delete(params.restapi_id!, params.requestvalidator_id!),
    }),
    route({
      operationId: "CreateModel",
      method: "POST",
      path: "/restapis/{restapi_id}/models",
      summary: "Create a model: a JSON schema (draft 4) request bodies are validated against",
      body: CreateModel,
      response: ModelShape,
      status: 201,
      handle: ({ params, body }) => models.create(params.restapi_id!, body),
    }),
    route({
      operationId: "GetModels",
      method: "GET",
      path: "/restapis/{restapi_id}/models",
      summary: "List the API's models",
      query: PAGING,
      response: collection(ModelShape),
      status: 200,
      handle: async ({ params, query }) =>
        paginate(await models.list(params.restapi_id!), query.limit, query.position),
    }),
    route({
      operationId: "GetModel",
      method: "GET",
      path: MODEL,
      summary: "Get a model by name",
      response: ModelShape,
      status: 200,
      handle: ({ params }) => models.get(params.restapi_id!, params.model_name!),
    }),
    route({
      operationId: "UpdateModel",
      method: "PATCH",
      path: MODEL,
      summary: "Update a model (/schema, /description)",
      body: PatchOperations,
      response: ModelShape,
      status: 200,
      handle: ({ params, body }) =>
        models.update(params.restapi_id!, params.model_name!, body.patchOperations),
    }),
    route({
      operationId: "DeleteModel",
      method: "DELETE",
      path: MODEL,
      summary: "Delete a model no method or other model refers to",
      status: 202,
      handle: ({ params }) => models.delete(params.restapi_id!, params.model_name!),
    }),
  ];
}
