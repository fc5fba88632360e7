import type { Integration } from "../apis/index.js";
import type { Route } from "./router.js";

export interface MockAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The answer of a MOCK integration. The status comes from the request template
 * (`{"statusCode": 200}`, as API Gateway's mock integrations are written); the body from the
 * integration response's template when it is plain JSON, else from the OpenAPI document's
 * example for that status.
 */
export function mockResponse(
  definition: Record<string, unknown> | null,
  route: Route,
  integration: Integration,
): MockAnswer {
  const status = statusFromTemplate(integration.requestTemplates?.["application/json"]) ?? 200;
  const response =
    Object.values(integration.integrationResponses ?? {}).find((r) => r.statusCode === String(status)) ??
    integration.integrationResponses?.default;
  const template = response?.responseTemplates?.["application/json"];
  if (template && !template.includes("$")) return { status, contentType: "application/json", body: template };
  const example = exampleFor(definition, route, status);
  if (example !== undefined)
    return { status, contentType: "application/json", body: JSON.stringify(example) };
  return { status, contentType: "application/json", body: "{}" };
}

function statusFromTemplate(template: string | undefined): number | undefined {
  if (!template) return undefined;
  const m = /"statusCode"\s*:\s*(\d{3})/.exec(template);
  return m ? Number(m[1]) : undefined;
}

function exampleFor(definition: Record<string, unknown> | null, route: Route, status: number): unknown {
  const paths = (definition?.paths ?? {}) as Record<string, Record<string, unknown>>;
  const item = paths[route.resourcePath];
  if (!item) return undefined;
  const operation = (item[route.httpMethod.toLowerCase()] ?? item["x-amazon-apigateway-any-method"]) as
    | {
        responses?: Record<
          string,
          { content?: Record<string, { example?: unknown; examples?: Record<string, { value?: unknown }> }> }
        >;
      }
    | undefined;
  const responses = operation?.responses ?? {};
  const response = responses[String(status)] ?? responses.default;
  const media = response?.content?.["application/json"] ?? Object.values(response?.content ?? {})[0];
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const first = Object.values(media.examples ?? {})[0];
  return first?.value;
}
