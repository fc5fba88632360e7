import { z } from "zod";
import { BadRequestError } from "../../core/errors.js";
import type { AdminServices } from "../index.js";
import { type AdminRoute, route } from "../route.js";
import { Tags } from "../shapes.js";

/** `arn:aws:apigateway:{region}::/restapis/{id}`: the REST API id, or a 400 for other resources. */
function restApiId(arn: string): string {
  const m = /^arn:aws[a-z-]*:apigateway:[a-z0-9-]*::\/restapis\/([^/]+)$/.exec(arn);
  if (!m) {
    throw new BadRequestError(
      `Invalid resource ARN '${arn}': Tollgate tags REST APIs (arn:aws:apigateway:<region>::/restapis/<id>); other resources take tags when created or through their update operation`,
    );
  }
  return m[1]!;
}

/** TagResource, UntagResource and GetTags, on REST APIs. */
export function tagRoutes(services: AdminServices): AdminRoute[] {
  return [
    route({
      operationId: "TagResource",
      method: "PUT",
      path: "/tags/{resource_arn}",
      summary: "Add or replace tags of a REST API",
      body: z.object({ tags: Tags }),
      status: 204,
      handle: async ({ params, body }) => {
        await services.restApis.tag(restApiId(params.resource_arn!), body.tags);
      },
    }),
    route({
      operationId: "UntagResource",
      method: "DELETE",
      path: "/tags/{resource_arn}",
      summary: "Remove tags of a REST API (tagKeys, repeated)",
      query: { tagKeys: "tag keys to remove" },
      status: 204,
      handle: async ({ params, rawQuery }) => {
        await services.restApis.untag(restApiId(params.resource_arn!), rawQuery.getAll("tagKeys"));
      },
    }),
    route({
      operationId: "GetTags",
      method: "GET",
      path: "/tags/{resource_arn}",
      summary: "The tags of a REST API",
      response: z.object({ tags: Tags }),
      status: 200,
      handle: async ({ params }) => ({
        tags: (await services.restApis.get(restApiId(params.resource_arn!))).tags ?? {},
      }),
    }),
  ];
}
