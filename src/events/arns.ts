import { AccessDeniedError, constraintError } from "./errors.js";

/** Where the bus's resources live: the region in every ARN, and the caller's account. */
export interface Scope {
  /** The caller's 12-digit account id: the provider's, or a tenant's. */
  account: string;
  region: string;
}

export const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

export function busArn(scope: Scope, name: string, account = scope.account): string {
  return `arn:aws:events:${scope.region}:${account}:event-bus/${name}`;
}

/** Rules on the default bus are `rule/<name>`, others `rule/<bus>/<name>`, as AWS. */
export function ruleArn(scope: Scope, bus: string, name: string, account = scope.account): string {
  const path = bus === "default" ? name : `${bus}/${name}`;
  return `arn:aws:events:${scope.region}:${account}:rule/${path}`;
}

export function archiveArn(scope: Scope, name: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:archive/${name}`;
}

export function replayArn(scope: Scope, name: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:replay/${name}`;
}

export function connectionArn(scope: Scope, name: string, uuid: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:connection/${name}/${uuid}`;
}

export function apiDestinationArn(scope: Scope, name: string, uuid: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:api-destination/${name}/${uuid}`;
}

/** Partner event source ARNs carry no account, as AWS's do. */
export function eventSourceArn(region: string, name: string): string {
  return `arn:aws:events:${region}::event-source/${name}`;
}

export interface ParsedArn {
  region: string;
  account: string;
  /** What follows the account: `event-bus/name`, `rule/bus/name`, ... */
  resource: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const m = /^arn:aws[\w-]*:events:([a-z0-9-]*):(\d{12}|):(.+)$/.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, account: m[2]!, resource: m[3]! };
}

/**
 * The bus an `EventBusName` parameter names: a name, or an ARN of the caller's own bus. Another
 * account's ARN is refused without saying whether that bus exists.
 */
export function busNameOf(scope: Scope, nameOrArn: string | undefined, field = "eventBusName"): string {
  if (nameOrArn === undefined || nameOrArn === "") return "default";
  if (!nameOrArn.startsWith("arn:")) return nameOrArn;
  const m = BUS_ARN.exec(nameOrArn);
  if (!m) {
    throw constraintError(
      field,
      nameOrArn,
      "Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+",
    );
  }
  foreignCheck(scope, m[2]!, nameOrArn);
  return m[3]!;
}

/** Refuses an ARN of another account. */
export function foreignCheck(scope: Scope, account: string, arn: string): void {
  if (account !== scope.account) {
    throw new AccessDeniedError(
      `User: arn:aws:iam::${scope.account}:root is not authorized to access ${arn}: the resource belongs to another account`,
    );
  }
}
