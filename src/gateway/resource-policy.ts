/**
 * Policies evaluated per request: an API's resource policy, and the IAM-style policy a
 * Lambda-style authorizer answers with. Statements are compiled once (resources into one RegExp
 * each, address blocks into BlockLists); evaluating one is a few tests. Explicit deny wins;
 * without an allow that matches, the request is denied (implicitly), as in AWS.
 */
import type { PolicyCondition, ResourcePolicy } from "../apis/index.js";
import { IpMatcher } from "./client-ip.js";
import type { Refusal } from "./responses.js";
import { compileWildcards, type WildcardSet } from "./wildcard.js";

/** What a policy is evaluated against for one request. */
export interface PolicySubject {
  /** `{apiId}/{stage}/{METHOD}{path}`: the request's resource, as an execute-api ARN ends. */
  resource: string;
  ip: string;
  tenantId?: string;
  keyId?: string;
  principalId?: string;
  /** The AWS account of an AWS_IAM caller (its tenant's). */
  accountId?: string;
}

export type PolicyDecision = "allow" | "deny" | "implicit-deny";

/** The region and account the gateway's ARNs carry (Tollgate has one of each). */
export const ARN_PREFIX = "arn:aws:execute-api:us-east-1:000000000000:";
const MASKED_PREFIX = "arn:aws:execute-api:us-east-1:********0000:";

interface CompiledStatement {
  deny: boolean;
  resources?: WildcardSet;
  notResources?: WildcardSet;
  conditions: Array<(s: PolicySubject) => boolean>;
}

export class CompiledPolicy {
  private readonly statements: CompiledStatement[];
  /** Statements about `execute-api:InvalidateCache` (usually none). */
  private readonly invalidation: CompiledStatement[];
  /** Some condition reads the tenant, key or principal: evaluate after identification. */
  readonly needsIdentity: boolean;

  constructor(policy: ResourcePolicy) {
    let needsIdentity = false;
    this.statements = [];
    this.invalidation = [];
    for (const s of policy.statements) {
      // IAM principals other than whole accounts (users, roles: no gateway caller is one) never apply.
      const accounts = s.principalAccounts;
      if ((s.iamPrincipal && !accounts) || (!s.invoke && !s.invalidateCache)) continue;
      const conditions = s.conditions.map(compileCondition);
      if (accounts) {
        const named = new Set(accounts);
        conditions.push((subject) => subject.accountId !== undefined && named.has(subject.accountId));
        needsIdentity = true;
      }
      const compiled = {
        deny: s.effect === "Deny",
        resources: compileWildcards(s.resources),
        notResources: compileWildcards(s.notResources),
        conditions,
      };
      if (s.invalidateCache) this.invalidation.push(compiled);
      // Other actions never apply to a request.
      if (!s.invoke) continue;
      if (s.conditions.some((c) => c.key !== "aws:SourceIp")) needsIdentity = true;
      this.statements.push(compiled);
    }
    this.needsIdentity = needsIdentity;
  }

  /** The decision on `execute-api:Invoke`. */
  evaluate(subject: PolicySubject): PolicyDecision {
    return decide(this.statements, subject);
  }

  /** The decision on `execute-api:InvalidateCache` (a client's `Cache-Control: max-age=0`). */
  evaluateInvalidation(subject: PolicySubject): PolicyDecision {
    return this.invalidation.length ? decide(this.invalidation, subject) : "implicit-deny";
  }
}

function decide(statements: CompiledStatement[], subject: PolicySubject): PolicyDecision {
  let allowed = false;
  for (const s of statements) {
    if (s.resources && !s.resources.test(subject.resource)) continue;
    if (s.notResources?.test(subject.resource)) continue;
    let match = true;
    for (const condition of s.conditions) {
      if (!condition(subject)) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    if (s.deny) return "deny";
    allowed = true;
  }
  return allowed ? "allow" : "implicit-deny";
}

function compileCondition(c: PolicyCondition): (s: PolicySubject) => boolean {
  if (c.key === "aws:SourceIp") {
    const blocks = new IpMatcher(c.ranges ?? []);
    return c.operator === "IpAddress" ? (s) => blocks.has(s.ip) : (s) => !blocks.has(s.ip);
  }
  const read =
    c.key === "tollgate:TenantId"
      ? (s: PolicySubject) => s.tenantId
      : c.key === "tollgate:ApiKeyId"
        ? (s: PolicySubject) => s.keyId
        : (s: PolicySubject) => s.principalId;
  const like = c.operator === "StringLike" || c.operator === "StringNotLike";
  const set = like ? compileWildcards(c.values) : undefined;
  const values = new Set(c.values);
  const matches = (v: string | undefined) => v !== undefined && (set ? set.test(v) : values.has(v));
  // IAM: a negated operator is true when the key is absent from the request.
  return c.operator === "StringEquals" || c.operator === "StringLike"
    ? (s) => matches(read(s))
    : (s) => !matches(read(s));
}

/** AWS's 403 for a resource policy that denies, explicitly or for want of an allow; `accountId` names an AWS_IAM caller. */
export function resourcePolicyRefusal(
  resource: string,
  decision: PolicyDecision,
  accountId?: string,
): Refusal {
  // An AWS_IAM caller is named by its account, as AWS names the signing identity.
  const user = accountId === undefined ? "anonymous" : `arn:aws:iam::${accountId}:root`;
  return {
    status: 403,
    type: "AccessDeniedException",
    upperCaseMessage: true,
    message: `User: ${user} is not authorized to perform: execute-api:Invoke on resource: ${MASKED_PREFIX}${resource}${decision === "deny" ? " with an explicit deny" : ""}`,
  };
}

/** AWS's 403 for an authorizer's policy that does not allow the request. */
export function authorizerPolicyRefusal(decision: PolicyDecision): Refusal {
  return {
    status: 403,
    type: "AccessDeniedException",
    upperCaseMessage: true,
    message:
      decision === "deny"
        ? "User is not authorized to access this resource with an explicit deny"
        : "User is not authorized to access this resource",
  };
}
