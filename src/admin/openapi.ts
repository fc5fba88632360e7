import { z } from "zod";
import type { AdminRoute } from "./route.js";

type Schema = Record<string, unknown>;
type Content = Record<string, { schema: Schema }>;
interface Operation {
  operationId: string;
  summary: string;
  "x-tollgate-operations": string[];
  parameters: Schema[];
  requestBody?: { content: Content };
  responses: Record<string, { description: string; content?: Content }>;
}

/**
 * The admin API's own OpenAPI 3.1 document, generated from the route table that the server
 * routes by, so the two cannot drift; tests check live responses against its schemas.
 * Operations that share a method and path (chosen by `?mode=`) are documented as one, with
 * their bodies and responses as alternatives.
 */
export function buildOpenApiDocument(routes: AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    const pathItem = paths[r.path]!;
    const method = r.method.toLowerCase();
    const operation = describe(r);
    const existing = pathItem[method];
    pathItem[method] = existing ? merge(existing, operation) : operation;
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

function describe(r: AdminRoute): Operation {
  const parameters: Schema[] = [
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
  ];
  if (r.when) {
    parameters.push({
      name: r.when.query,
      in: "query",
      description: `'${r.when.equals}' selects ${r.operationId}`,
      schema: { type: "string" },
    });
  }
  const operation: Operation = {
    operationId: r.operationId,
    summary: r.summary,
    "x-tollgate-operations": [r.operationId],
    parameters,
    responses: {
      [String(r.status)]: r.response
        ? {
            description: "Success",
            content: { "application/json": { schema: jsonSchema(r.response, "output") } },
          }
        : { description: "Success" },
      default: {
        description: "AWS-shaped error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    },
  };
  if (r.body)
    operation.requestBody = { content: { "application/json": { schema: jsonSchema(r.body, "input") } } };
  else if (r.rawBody) {
    operation.requestBody = {
      content: Object.fromEntries(
        r.rawBody.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }]),
      ),
    };
  }
  return operation;
}

function merge(a: Operation, b: Operation): Operation {
  const responses = { ...a.responses };
  for (const [status, response] of Object.entries(b.responses)) {
    const seen = responses[status];
    responses[status] =
      seen?.content && response.content
        ? { ...seen, content: mergeContent(seen.content, response.content) }
        : (seen ?? response);
  }
  const names = new Set(a.parameters.map((p) => `${p.in}:${p.name}`));
  return {
    operationId: `${a.operationId}_${b.operationId}`,
    summary: `${a.summary} / ${b.summary}`,
    "x-tollgate-operations": [...a["x-tollgate-operations"], ...b["x-tollgate-operations"]],
    parameters: [...a.parameters, ...b.parameters.filter((p) => !names.has(`${p.in}:${p.name}`))],
    requestBody:
      a.requestBody && b.requestBody
        ? { content: mergeContent(a.requestBody.content, b.requestBody.content) }
        : (a.requestBody ?? b.requestBody),
    responses,
  };
}

/** Media types of both; where both have one, either schema is valid. */
function mergeContent(a: Content, b: Content): Content {
  const out: Content = { ...a };
  for (const [type, media] of Object.entries(b)) {
    const seen = out[type];
    out[type] = seen ? { schema: { anyOf: [seen.schema, media.schema] } } : media;
  }
  return out;
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Schema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Schema;
  return rest;
}
