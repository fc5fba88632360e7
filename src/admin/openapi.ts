import { z } from "zod";
import type { AdminRoute } from "./route.js";

/**
 * The admin API's own OpenAPI 3.1 document, generated from the route table that the server
 * routes by, so the two cannot drift; tests check live responses against its schemas.
 */
export function buildOpenApiDocument(routes: AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    const pathItem = paths[r.path]!;
    const method = r.method.toLowerCase();
    // OpenAPI has one operation per method and path; `mode`-dispatched siblings are documented together.
    const existing = pathItem[method] as { summary: string; operationId: string } | undefined;
    const parameters = [
      ...[...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...Object.entries(r.query ?? {}).map(([name, description]) => ({
        name,
        in: "query",
        description,
        schema: { type: "string" },
      })),
      ...(r.when
        ? [
            {
              name: r.when.query,
              in: "query",
              description: `'${r.when.equals}' selects ${r.operationId}`,
              schema: { type: "string" },
            },
          ]
        : []),
    ];
    const operation: Record<string, unknown> = {
      operationId: existing ? `${existing.operationId}_${r.operationId}` : r.operationId,
      summary: existing ? `${existing.summary} / ${r.summary}` : r.summary,
      "x-tollgate-operations": [
        ...((existing as { "x-tollgate-operations"?: string[] })?.["x-tollgate-operations"] ?? []),
        r.operationId,
      ],
      parameters,
      responses: {
        [String(r.status)]: r.response
          ? {
              description: "Success",
              content: {
                "application/json": {
                  schema: z.toJSONSchema(r.response, { io: "output", unrepresentable: "any" }),
                },
              },
            }
          : { description: "Success" },
        default: {
          description: "AWS-shaped error",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
    if (r.body) {
      operation.requestBody = {
        content: {
          "application/json": { schema: z.toJSONSchema(r.body, { io: "input", unrepresentable: "any" }) },
        },
      };
    } else if (r.rawBody) {
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          r.rawBody.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }]),
        ),
      };
    }
    pathItem[method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Tollgate admin API",
      version: "1",
      description:
        "Control plane of Tollgate. Paths, fields, status codes and errors follow Amazon API Gateway's REST control plane, so the AWS CLI and SDKs work with a custom endpoint. Authenticate with AWS Signature Version 4 or `Authorization: Bearer <admin token>`.",
    },
    components: {
      securitySchemes: {
        sigv4: {
          type: "apiKey",
          in: "header",
          name: "Authorization",
          description: "AWS Signature Version 4",
        },
        bearer: { type: "http", scheme: "bearer" },
      },
      schemas: {
        Error: {
          type: "object",
          properties: { message: { type: "string" } },
          required: ["message"],
          description: "The error type is in the x-amzn-ErrorType header.",
        },
      },
    },
    security: [{ sigv4: [] }, { bearer: [] }],
    paths,
  };
}
