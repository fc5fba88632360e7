/**
 * TestInvokeAuthorizer at the gateway: an authorizer evaluated by the gateway's own code on a
 * simulated request, with its answer cache off and its signing keys fetched afresh, so the
 * authorizer is asked every time and nothing of the test is kept.
 */
import { randomUUID } from "node:crypto";
import type {
  Authorizer,
  AuthorizerTester,
  AuthorizerTestRequest,
  AuthorizerTestResult,
} from "../apis/index.js";
import type { Clock } from "../core/clock.js";
import {
  type AuthOutcome,
  type AuthorizeRequest,
  type AuthorizerTrace,
  authorizerCheck,
  authorizerFailure,
  isRefusal,
  RuntimeAuthorizer,
} from "./authorizers.js";
import { ARN_PREFIX, authorizerPolicyRefusal } from "./resource-policy.js";
import type { Refusal } from "./responses.js";

/** The stage, method and source address API Gateway gives a test invocation. */
const TEST_STAGE = "ESTestInvoke-stage";
const TEST_METHOD = "GET";
const TEST_SOURCE_IP = "test-invoke-source-ip";

/**
 * The tester the admin API's TestInvokeAuthorizer uses (wired by the composition root).
 *
 * @example new AuthorizerService(store, clock, authorizerTester({ clock }))
 */
export function authorizerTester(deps: { clock: Clock }): AuthorizerTester {
  return (restApiId, definition, input) => testInvoke(restApiId, definition, input, deps.clock);
}

async function testInvoke(
  restApiId: string,
  definition: Authorizer,
  input: AuthorizerTestRequest,
  clock: Clock,
): Promise<AuthorizerTestResult> {
  const request = simulatedRequest(restApiId, input);
  const log = new ExecutionLog(clock, request.requestId);
  log.line(`Starting authorizer: ${definition.id} (${definition.type}) for request: ${request.requestId}`);
  log.line(`Method ARN: ${ARN_PREFIX}${request.resource}`);
  if (definition.authorizerUri) log.line(`Endpoint request URI: ${safeUri(definition.authorizerUri)}`);
  const trace: AuthorizerTrace = {};
  const started = performance.now();
  let outcome: AuthOutcome;
  try {
    // The gateway's runtime authorizer with caching off: the same identity source and
    // validation rules, then the check itself, every time.
    const inner = authorizerCheck(definition, clock, new Map());
    const runtime = new RuntimeAuthorizer(
      { ...definition, authorizerResultTtlInSeconds: 0 },
      { check: (req, values) => inner.check(req, values, trace) },
      clock,
    );
    outcome = await runtime.authorize(request);
  } catch (error) {
    outcome = authorizerFailure(error);
  }
  const latency = Math.round(performance.now() - started);
  if (trace.status !== undefined) log.line(`Endpoint response status: ${trace.status}`);

  let refusal: Refusal | undefined;
  if (isRefusal(outcome)) refusal = outcome;
  else if (outcome.policy) {
    // As the gateway does for a request: the policy must allow the method ARN it was asked about.
    const decision = outcome.policy.evaluate({ resource: request.resource, ip: request.ip });
    if (decision !== "allow") refusal = authorizerPolicyRefusal(decision);
  }
  if (refusal) log.line(`Authorizer result: ${refusal.status} ${refusal.type}: ${refusal.message}`);
  else log.line("Authorizer result: allowed");
  log.line(`Latency: ${latency} ms`);

  const answer = trace.answer;
  const principalId = isRefusal(outcome) ? stringOf(answer?.principalId) : outcome.principalId;
  return {
    clientStatus: refusal ? refusal.status : 200,
    log: log.text(),
    latency,
    ...(principalId ? { principalId } : {}),
    ...policyOf(answer),
    ...authorizationOf(answer),
    ...(trace.claims ? { claims: claimsOf(trace.claims) } : {}),
  };
}

/** The request a test describes, as the gateway would see it on its test stage. */
function simulatedRequest(restApiId: string, input: AuthorizerTestRequest): AuthorizeRequest {
  const target = input.pathWithQueryString || "/";
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q) || "/";
  const rawHeaders: string[] = [];
  // A header named in multiValueHeaders takes all its values from there.
  const multi = input.multiValueHeaders ?? {};
  const multiNames = new Set(Object.keys(multi).map((n) => n.toLowerCase()));
  for (const [name, value] of Object.entries(input.headers ?? {}))
    if (!multiNames.has(name.toLowerCase())) rawHeaders.push(name, value);
  for (const [name, values] of Object.entries(multi))
    for (const value of values) rawHeaders.push(name, value);
  return {
    rawHeaders,
    query: q < 0 ? "" : target.slice(q),
    method: TEST_METHOD,
    path,
    resource: `${restApiId}/${TEST_STAGE}/${TEST_METHOD}${path}`,
    restApiId,
    stageName: TEST_STAGE,
    stageVariables: input.stageVariables ?? {},
    resourcePath: path,
    pathParameters: {},
    ip: TEST_SOURCE_IP,
    requestId: randomUUID(),
  };
}

/** API Gateway's execution log: one timestamped line per step. Never holds identities or keys. */
class ExecutionLog {
  private readonly lines: string[];

  constructor(
    private readonly clock: Clock,
    requestId: string,
  ) {
    this.lines = [`Execution log for request ${requestId}`];
  }

  line(text: string): void {
    this.lines.push(`${new Date(this.clock.now()).toISOString()} : ${text}`);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** The URI without credentials or query string, which may carry secrets. */
function safeUri(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** The policy document the endpoint returned, as JSON text. */
function policyOf(answer: Record<string, unknown> | undefined): { policy?: string } {
  const doc = answer?.policyDocument;
  if (doc === undefined || doc === null) return {};
  return { policy: typeof doc === "string" ? doc : JSON.stringify(doc) };
}

/** The endpoint's `context`, each value as a one-element list (the shape of `authorization`). */
function authorizationOf(answer: Record<string, unknown> | undefined): {
  authorization?: Record<string, string[]>;
} {
  const context = answer?.context;
  if (typeof context !== "object" || context === null) return {};
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(context as Record<string, unknown>))
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      out[key] = [String(value)];
  return Object.keys(out).length ? { authorization: out } : {};
}

/** Claims as a map of strings: lists and objects as JSON text. */
function claimsOf(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(claims))
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  return out;
}
