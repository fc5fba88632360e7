import { Agent, request } from "undici";
import { type Authorizer, parsePolicyDocument } from "../apis/index.js";
import {
  type AuthOutcome,
  type AuthorizeRequest,
  type AuthorizerCheck,
  type AuthorizerTrace,
  identityHeaderLines,
} from "./authorizers.js";
import { ARN_PREFIX, CompiledPolicy } from "./resource-policy.js";
import { type Refusal, UNAUTHORIZED } from "./responses.js";

/** How long an authorizer endpoint may take to answer, ms. */
export const AUTHORIZER_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

// One keep-alive pool for every authorizer endpoint.
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

/**
 * A TOKEN or REQUEST authorizer: AWS's Lambda authorizer, over HTTP. The gateway POSTs the event
 * a Lambda authorizer receives (JSON) to `authorizerUri` and reads the answer:
 * - 200 with `{principalId, policyDocument, context, usageIdentifierKey}` (AWS's answer; the
 *   policy is evaluated against each request it is used for), or `{isAuthorized, context}`
 *   (the HTTP API's simple answer);
 * - 401: the caller is not authenticated (401 Unauthorized);
 * - 403: the caller is denied (403, as an explicit deny);
 * anything else, or no answer within 10 s, is the authorizer's failure (500).
 */
export class HttpAuthorizer implements AuthorizerCheck {
  constructor(private readonly definition: Authorizer) {}

  async check(req: AuthorizeRequest, values: string[], trace?: AuthorizerTrace): Promise<AuthOutcome> {
    const uri = this.definition.authorizerUri ?? "";
    if (!/^https?:\/\//.test(uri)) {
      return failure(
        this.definition,
        "its authorizerUri is not an http(s) URL (Tollgate cannot invoke Lambda functions)",
      );
    }
    const event = this.definition.type === "TOKEN" ? tokenEvent(req, values[0]!) : requestEvent(req);
    let status: number;
    let text: string;
    try {
      const response = await request(uri, {
        method: "POST",
        dispatcher: agent,
        headers: { "content-type": "application/json", "x-tollgate-request-id": req.requestId },
        body: JSON.stringify(event),
        headersTimeout: AUTHORIZER_TIMEOUT_MS,
        bodyTimeout: AUTHORIZER_TIMEOUT_MS,
      });
      status = response.statusCode;
      text = await readBounded(response.body);
    } catch (error) {
      return failure(this.definition, `no answer from ${new URL(uri).origin} (${(error as Error).message})`);
    }
    if (trace) trace.status = status;
    if (status === 401) return UNAUTHORIZED;
    if (status === 403) {
      return {
        status: 403,
        type: "AccessDeniedException",
        upperCaseMessage: true,
        message: "User is not authorized to access this resource with an explicit deny",
      };
    }
    if (status !== 200) return failure(this.definition, `it answered ${status}`);
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return failure(this.definition, "its answer is not JSON");
    }
    if (trace) trace.answer = answer;
    return this.read(answer);
  }

  private read(answer: Record<string, unknown>): AuthOutcome {
    if (typeof answer !== "object" || answer === null)
      return failure(this.definition, "its answer is not a JSON object");
    const context =
      typeof answer.context === "object" && answer.context !== null
        ? (answer.context as Record<string, unknown>)
        : undefined;
    const usageIdentifierKey =
      typeof answer.usageIdentifierKey === "string" ? answer.usageIdentifierKey : undefined;
    if (typeof answer.isAuthorized === "boolean") {
      if (!answer.isAuthorized) return { status: 403, type: "ForbiddenException", message: "Forbidden" };
      const principalId = typeof answer.principalId === "string" ? answer.principalId : "";
      return { principalId, usageIdentifierKey, headerLines: identityHeaderLines(principalId, context) };
    }
    if (typeof answer.principalId !== "string" || answer.policyDocument === undefined) {
      return failure(
        this.definition,
        "its answer has neither principalId with policyDocument nor isAuthorized",
      );
    }
    let policy: CompiledPolicy;
    try {
      policy = new CompiledPolicy(parsePolicyDocument(answer.policyDocument, "", false));
    } catch (error) {
      return failure(this.definition, `its policyDocument is invalid (${(error as Error).message})`);
    }
    return {
      principalId: answer.principalId,
      usageIdentifierKey,
      policy,
      headerLines: identityHeaderLines(answer.principalId, context),
    };
  }
}

function tokenEvent(req: AuthorizeRequest, token: string) {
  return { type: "TOKEN", authorizationToken: token, methodArn: `${ARN_PREFIX}${req.resource}` };
}

/** The REQUEST event, as API Gateway sends it to a Lambda authorizer. */
function requestEvent(req: AuthorizeRequest) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    if (name.toLowerCase() === "x-api-key") continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(req.query)) {
    query[k] = v;
    multiValueQuery[k] = [...(multiValueQuery[k] ?? []), v];
  }
  return {
    type: "REQUEST",
    methodArn: `${ARN_PREFIX}${req.resource}`,
    resource: req.resourcePath,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiValueQuery,
    pathParameters: req.pathParameters,
    stageVariables: req.stageVariables,
    requestContext: {
      accountId: "000000000000",
      apiId: req.restApiId,
      stage: req.stageName,
      requestId: req.requestId,
      resourcePath: req.resourcePath,
      httpMethod: req.method,
      path: `/${req.stageName}${req.path}`,
      identity: { sourceIp: req.ip },
    },
  };
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function failure(definition: Authorizer, why: string): Refusal {
  return {
    status: 500,
    type: "AuthorizerConfigurationException",
    message: `Authorizer '${definition.name}' failed: ${why}`,
  };
}
