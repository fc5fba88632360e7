import { foreignCheck, parseArn, type Scope } from "./arns.js";
import { ValidationError } from "./errors.js";
import { checkInputSpec, type InputTransformer } from "./transform.js";
import { checkName, checkRange } from "./validate.js";

/** A rule's target, field for field as PutTargets takes it (fields Tollgate has no use for are kept). */
export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: RetryPolicy;
  DeadLetterConfig?: { Arn?: string };
  HttpParameters?: HttpParameters;
  [other: string]: unknown;
}

export interface RetryPolicy {
  /** 0 to 185; 185 by default. */
  MaximumRetryAttempts?: number;
  /** 60 to 86,400 seconds; 86,400 (24 hours) by default. */
  MaximumEventAgeInSeconds?: number;
}

export interface HttpParameters {
  /** Values for the `*` wildcards of the API destination's endpoint, in order. */
  PathParameterValues?: string[];
  HeaderParameters?: Record<string, string>;
  QueryStringParameters?: Record<string, string>;
}

/** EventBridge's default RetryPolicy: 185 attempts within 24 hours. */
export const DEFAULT_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

/** What a target ARN points at: the three kinds Tollgate delivers to. */
export type TargetKind =
  | { kind: "api-destination"; name: string }
  | { kind: "event-bus"; account: string; name: string }
  | { kind: "archive"; name: string };

/** The most targets a rule can have (AWS's quota). */
export const MAX_TARGETS_PER_RULE = 5;

/** Classifies a target ARN; anything Tollgate cannot deliver to is a ValidationException. */
export function targetKind(scope: Scope, target: Pick<Target, "Id" | "Arn">): TargetKind {
  const arn = parseArn(target.Arn);
  const resource = arn?.resource ?? "";
  const [type, ...rest] = resource.split("/");
  if (arn && type === "event-bus" && rest.length) {
    // Buses of the same account only: a cross-account bus would need its resource policy.
    foreignCheck(scope, arn.account, target.Arn);
    return { kind: "event-bus", account: arn.account, name: rest.join("/") };
  }
  if (arn && type === "api-destination" && rest.length === 2) {
    foreignCheck(scope, arn.account, target.Arn);
    return { kind: "api-destination", name: rest[0]! };
  }
  if (arn && type === "archive" && rest.length === 1) {
    foreignCheck(scope, arn.account, target.Arn);
    return { kind: "archive", name: rest[0]! };
  }
  throw new ValidationError(
    `Parameter(s) Arn is not valid for target ${target.Id}: ${target.Arn}. Tollgate delivers to API destinations (arn:aws:events:<region>:<account>:api-destination/<name>/<id>), event buses and archives.`,
  );
}

/** Checks one target of a PutTargets request. */
export function checkTarget(scope: Scope, target: Target, index: number): TargetKind {
  checkName(`targets.${index + 1}.member.id`, target.Id, { max: 64 });
  if (target.Arn.length < 1 || target.Arn.length > 1600) {
    throw new ValidationError(`Target ${target.Id}: Arn must have 1 to 1600 characters.`);
  }
  const kind = targetKind(scope, target);
  checkInputSpec(target.Id, target);
  const retry = target.RetryPolicy;
  checkRange(
    `targets.${index + 1}.member.retryPolicy.maximumRetryAttempts`,
    retry?.MaximumRetryAttempts,
    0,
    185,
  );
  checkRange(
    `targets.${index + 1}.member.retryPolicy.maximumEventAgeInSeconds`,
    retry?.MaximumEventAgeInSeconds,
    60,
    86_400,
  );
  if (target.HttpParameters && kind.kind !== "api-destination") {
    throw new ValidationError(`Target ${target.Id}: HttpParameters apply to API destination targets only.`);
  }
  return kind;
}
