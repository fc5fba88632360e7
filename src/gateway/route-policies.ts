/**
 * The request-side policies of one deployed API, compiled once per configuration load: per
 * method its authorizer, scopes and validation (a `RoutePolicies` on the route, absent when it
 * has none), per stage its resource policy and CORS.
 */
import type { ApiSnapshot, Authorizer, Method, RequestValidator } from "../apis/index.js";
import { AUTHORIZER_TYPES_FOR, parseResourcePolicy } from "../apis/index.js";
import type { AuthorizerRegistry, RuntimeAuthorizer } from "./authorizers.js";
import { type CompiledCors, compileCors } from "./cors.js";
import { ApiModels, compileValidation, type MethodValidation } from "./request-validation.js";
import { CompiledPolicy } from "./resource-policy.js";
import type { Refusal } from "./responses.js";
import type { Route } from "./router.js";

export interface RoutePolicies {
  authorizer?: RuntimeAuthorizer;
  /** AWS_IAM: the request must carry a tenant's SigV4 signature. */
  iam?: boolean;
  /** The method's authorizationScopes: a JWT must grant one of them. */
  scopes?: ReadonlySet<string>;
  validation?: MethodValidation;
  /** The method cannot be served as configured (a missing authorizer, a model that does not compile). */
  broken?: Refusal;
}

/** What a deployed API's policies compile to: a route decorator, and its stage-wide parts. */
export interface ApiPolicies {
  decorate(route: Route): void;
  policy?: CompiledPolicy;
  cors?: CompiledCors;
}

/** Compiles a snapshot's policies; `authorizers` keeps runtime authorizers across reloads. */
export function compileApiPolicies(snapshot: ApiSnapshot, authorizers: AuthorizerRegistry): ApiPolicies {
  const byId = new Map<string, Authorizer>((snapshot.authorizers ?? []).map((a) => [a.id, a]));
  const validators = new Map<string, RequestValidator>(
    (snapshot.requestValidators ?? []).map((v) => [v.id, v]),
  );
  const models = new ApiModels(snapshot.models ?? []);
  let policy: CompiledPolicy | undefined;
  let policyError: Refusal | undefined;
  if (snapshot.policy) {
    try {
      policy = new CompiledPolicy(parseResourcePolicy(snapshot.policy, snapshot.restApiId));
    } catch (error) {
      // Checked when it was set; a deployment that still holds a bad one fails closed.
      policyError = misconfigured(`its resource policy is invalid (${(error as Error).message})`);
    }
  }
  return {
    policy,
    cors: snapshot.corsConfiguration ? compileCors(snapshot.corsConfiguration) : undefined,
    decorate(route) {
      const policies = routePolicies(snapshot.restApiId, route.method, byId, validators, models, authorizers);
      if (policyError) route.policies = { ...policies, broken: policyError };
      else if (policies) route.policies = policies;
    },
  };
}

function routePolicies(
  restApiId: string,
  method: Method,
  authorizers: Map<string, Authorizer>,
  validators: Map<string, RequestValidator>,
  models: ApiModels,
  registry: AuthorizerRegistry,
): RoutePolicies | undefined {
  const out: RoutePolicies = {};
  const allowed = AUTHORIZER_TYPES_FOR[method.authorizationType];
  if (method.authorizationType === "AWS_IAM") out.iam = true;
  else if (allowed) {
    const definition = method.authorizerId ? authorizers.get(method.authorizerId) : undefined;
    if (!definition || !allowed.includes(definition.type)) {
      return {
        broken: misconfigured(
          `its method names authorizer '${method.authorizerId ?? ""}', which the deployment does not have`,
        ),
      };
    }
    out.authorizer = registry.get(restApiId, definition);
    if (method.authorizationScopes?.length) out.scopes = new Set(method.authorizationScopes);
  }
  try {
    out.validation = compileValidation(method, validators, models);
  } catch (error) {
    return { broken: misconfigured(`a request model does not compile (${(error as Error).message})`) };
  }
  return out.authorizer || out.iam || out.validation ? out : undefined;
}

function misconfigured(why: string): Refusal {
  return { status: 500, type: "InternalServerErrorException", message: `The API is misconfigured: ${why}` };
}
