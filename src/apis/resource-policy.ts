/**
 * Resource policies of REST APIs: the subset of AWS's JSON policy language that API Gateway's
 * resource policies use for public APIs, read and checked once (at CreateRestApi, UpdateRestApi
 * `/policy`, or import of `x-amazon-apigateway-policy`). Anything Tollgate would not enforce is
 * refused with a 400 instead of being silently ignored. The gateway compiles the result.
 */
import { BadRequestError } from "../core/errors.js";
import { type IpRange, parseIpRange } from "./ip-ranges.js";

/** Condition keys Tollgate evaluates: the caller's address, and who the gateway identified. */
export const CONDITION_KEYS = [
  "aws:SourceIp",
  "tollgate:TenantId",
  "tollgate:ApiKeyId",
  "tollgate:PrincipalId",
] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

const STRING_OPERATORS = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike"] as const;
const IP_OPERATORS = ["IpAddress", "NotIpAddress"] as const;
export type ConditionOperator = (typeof STRING_OPERATORS)[number] | (typeof IP_OPERATORS)[number];

export interface PolicyCondition {
  operator: ConditionOperator;
  key: ConditionKey;
  /** String values (patterns with `*` and `?` for the Like operators). */
  values: string[];
  /** IpAddress / NotIpAddress: the blocks. */
  ranges?: IpRange[];
}

/**
 * One statement. Resources are written relative to the account: `{apiId}/{stage}/{METHOD}/{path}`
 * with `*` and `?` wildcards (`execute-api:/dev/GET/pets` becomes `<this API>/dev/GET/pets`).
 */
export interface PolicyStatement {
  sid?: string;
  effect: "Allow" | "Deny";
  /** The statement applies to `execute-api:Invoke` (false: it is about other actions). */
  invoke: boolean;
  /** It applies to `execute-api:InvalidateCache` (a client's `Cache-Control: max-age=0`). */
  invalidateCache: boolean;
  /** It names a principal other than everyone (an IAM one). */
  iamPrincipal: boolean;
  /**
   * The AWS accounts it names as a whole (`123456789012`, `arn:aws:iam::123456789012:root`): they
   * match AWS_IAM callers of the tenants with those account ids. Other IAM principals (users,
   * roles, services) match no gateway caller.
   */
  principalAccounts?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: PolicyCondition[];
}

export interface ResourcePolicy {
  statements: PolicyStatement[];
}

const ARN = /^arn:aws[\w-]*:execute-api:([^:]*):([^:]*):(.+)$/;

/**
 * Parses and checks a resource policy (JSON text). `apiId` stands in for `execute-api:/...`
 * resources (a policy checked before its API exists keeps `{api}`; the gateway parses the
 * deployed text again with the id).
 */
export function parseResourcePolicy(text: string, apiId = "{api}"): ResourcePolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw invalid(`it is not JSON (${(error as Error).message})`);
  }
  return parsePolicyDocument(doc, apiId, true);
}

/**
 * Parses a policy document already read from JSON: a resource policy (`principal` true: each
 * statement names its Principal) or the policy a Lambda-style authorizer answers with (no Principal).
 */
export function parsePolicyDocument(doc: unknown, apiId: string, principal: boolean): ResourcePolicy {
  if (!isObject(doc)) throw invalid("a policy is a JSON object with a Statement list");
  if (doc.Version !== undefined && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") {
    throw invalid(`unknown Version '${String(doc.Version)}': use 2012-10-17`);
  }
  const raw = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  if (!raw.length) throw invalid("Statement is missing or empty");
  return { statements: raw.map((s, i) => statementOf(s, i, apiId, principal)) };
}

function statementOf(raw: unknown, index: number, apiId: string, principal: boolean): PolicyStatement {
  const where = `Statement[${index}]`;
  if (!isObject(raw)) throw invalid(`${where} is not an object`);
  const known = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
  ];
  const unknown = Object.keys(raw).find((k) => !known.includes(k));
  if (unknown) throw invalid(`${where} has an unknown element '${unknown}'`);
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") throw invalid(`${where}.Effect must be Allow or Deny`);
  if (raw.NotPrincipal !== undefined)
    throw invalid(`${where}: NotPrincipal is not supported; use Principal "*" with a Condition`);
  if (raw.Principal === undefined && principal)
    throw invalid(`${where} needs a Principal ("*" for every caller)`);
  const iamPrincipal = raw.Principal !== undefined && !isEveryone(raw.Principal);
  const principalAccounts = iamPrincipal ? accountsOf(raw.Principal, `${where}.Principal`) : [];

  if ((raw.Action === undefined) === (raw.NotAction === undefined))
    throw invalid(`${where} needs Action or NotAction (one of them)`);
  const actions = strings(
    raw.Action ?? raw.NotAction,
    `${where}.${raw.Action !== undefined ? "Action" : "NotAction"}`,
  );
  const names = actions.some((a) => matchesInvoke(a));
  const invoke = raw.Action !== undefined ? names : !names;
  const namesInvalidate = actions.some((a) => matchesInvalidateCache(a));
  const invalidateCache = raw.Action !== undefined ? namesInvalidate : !namesInvalidate;

  if ((raw.Resource === undefined) === (raw.NotResource === undefined))
    throw invalid(`${where} needs Resource or NotResource (one of them)`);
  const resourceKey = raw.Resource !== undefined ? "Resource" : "NotResource";
  const resources = strings(raw[resourceKey], `${where}.${resourceKey}`).map((r) =>
    resourceOf(r, `${where}.${resourceKey}`, apiId),
  );

  const conditions: PolicyCondition[] = [];
  if (raw.Condition !== undefined) {
    if (!isObject(raw.Condition)) throw invalid(`${where}.Condition must be an object of operators`);
    for (const [operator, block] of Object.entries(raw.Condition)) {
      const op = operator as ConditionOperator;
      if (![...STRING_OPERATORS, ...IP_OPERATORS].includes(op as never)) {
        throw invalid(
          `${where}: condition operator '${operator}' is not supported (use ${[...IP_OPERATORS, ...STRING_OPERATORS].join(", ")})`,
        );
      }
      if (!isObject(block))
        throw invalid(`${where}.Condition.${operator} must be an object of condition keys`);
      for (const [key, value] of Object.entries(block)) {
        if (!CONDITION_KEYS.includes(key as ConditionKey)) {
          throw invalid(
            `${where}: condition key '${key}' is not supported (use ${CONDITION_KEYS.join(", ")})`,
          );
        }
        const isIp = (IP_OPERATORS as readonly string[]).includes(op);
        if (isIp !== (key === "aws:SourceIp")) {
          throw invalid(
            `${where}: ${operator} ${isIp ? "takes aws:SourceIp only" : `cannot compare ${key}`}`,
          );
        }
        const values = strings(value, `${where}.Condition.${operator}.${key}`);
        conditions.push({
          operator: op,
          key: key as ConditionKey,
          values,
          ...(isIp
            ? { ranges: values.map((v) => parseIpRange(v, `${where}.Condition.${operator}.${key}`)) }
            : {}),
        });
      }
    }
  }
  return {
    ...(typeof raw.Sid === "string" ? { sid: raw.Sid } : {}),
    effect: raw.Effect,
    invoke,
    invalidateCache,
    iamPrincipal,
    ...(principalAccounts.length ? { principalAccounts } : {}),
    ...(resourceKey === "Resource" ? { resources } : { notResources: resources }),
    conditions,
  };
}

/** `arn:aws:execute-api:region:account:api/stage/VERB/path`, `execute-api:/stage/VERB/path` or `*`. */
function resourceOf(text: string, where: string, apiId: string): string {
  if (text === "*") return "*";
  if (text.startsWith("execute-api:/")) return `${apiId}/${text.slice("execute-api:/".length)}`;
  const arn = ARN.exec(text);
  if (arn) return arn[3]!;
  throw invalid(
    `${where}: '${text}' is not an execute-api resource (arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>, or execute-api:/<stage>/<METHOD>/<path>)`,
  );
}

function matchesInvoke(action: string): boolean {
  const a = action.toLowerCase();
  return a === "*" || a === "execute-api:*" || a === "execute-api:invoke";
}

function matchesInvalidateCache(action: string): boolean {
  const a = action.toLowerCase();
  return a === "*" || a === "execute-api:*" || a === "execute-api:invalidatecache";
}

const ACCOUNT = /^\d{12}$/;
const ACCOUNT_ROOT = /^arn:aws[\w-]*:iam::(\d{12}):root$/;
const IAM_ARN = /^arn:aws[\w-]*:(iam|sts)::\d{12}:\S+$/;

/** The accounts an IAM Principal names as a whole; a malformed AWS principal is a 400. */
function accountsOf(principal: unknown, where: string): string[] {
  if (!isObject(principal)) throw invalid(`${where} must be "*" or an object such as {"AWS": [...]}`);
  if (principal.AWS === undefined) return [];
  const accounts: string[] = [];
  for (const name of strings(principal.AWS, `${where}.AWS`)) {
    if (ACCOUNT.test(name)) accounts.push(name);
    else if (ACCOUNT_ROOT.test(name)) accounts.push(ACCOUNT_ROOT.exec(name)![1]!);
    else if (name !== "*" && !IAM_ARN.test(name))
      throw invalid(`${where}.AWS: '${name}' is not an account id or an IAM ARN`);
  }
  return accounts;
}

function isEveryone(principal: unknown): boolean {
  if (principal === "*") return true;
  if (!isObject(principal)) return false;
  const aws = principal.AWS;
  return Object.keys(principal).length === 1 && (aws === "*" || (Array.isArray(aws) && aws.includes("*")));
}

function strings(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (!list.length || list.some((v) => typeof v !== "string" || v === ""))
    throw invalid(`${where} must be a string or a list of strings`);
  return list as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(problem: string): BadRequestError {
  return new BadRequestError(`Invalid resource policy: ${problem}`);
}
