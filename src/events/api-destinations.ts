import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/secrets.js";
import { fromJson, type Store, toJson } from "../store/index.js";
import { apiDestinationArn, parseArn, type Scope } from "./arns.js";
import type { ConnectionService } from "./connections.js";
import {
  constraintError,
  ResourceAlreadyExistsError,
  ResourceNotFoundError,
  ValidationError,
} from "./errors.js";
import { isPrivateAddress } from "./network.js";
import { type EventsPage, page } from "./paging.js";
import { newSigningSecret } from "./signing.js";
import { checkLength, checkName, checkRange } from "./validate.js";

export type HttpMethod = "POST" | "GET" | "HEAD" | "OPTIONS" | "PUT" | "PATCH" | "DELETE";
const METHODS: HttpMethod[] = ["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"];

export interface ApiDestinationInput {
  Name: string;
  Description?: string;
  ConnectionArn?: string;
  InvocationEndpoint?: string;
  HttpMethod?: HttpMethod;
  InvocationRateLimitPerSecond?: number;
}

/** An API destination, as DescribeApiDestination returns it. */
export interface ApiDestination {
  ApiDestinationArn: string;
  Name: string;
  Description?: string;
  ApiDestinationState: "ACTIVE" | "INACTIVE";
  ConnectionArn?: string;
  InvocationEndpoint: string;
  HttpMethod: HttpMethod;
  InvocationRateLimitPerSecond: number;
  CreationTime: number;
  LastModifiedTime: number;
}

/** A signing secret's metadata (the secret itself is shown once, when made). */
export interface WebhookSecretInfo {
  CreationTime: number;
  /** When it stops being used; absent for the current secret. */
  ExpirationTime?: number;
}

/** What the delivery worker needs of an API destination. */
export interface ResolvedDestination {
  uuid: string;
  endpoint: string;
  method: HttpMethod;
  rateLimit: number;
  connection?: string;
  /** Live signing secrets, newest first (two during a rotation's overlap). */
  secrets: string[];
  /** Tenants' destinations may not reach loopback or private addresses (unless allowed). */
  restricted: boolean;
}

type StoredSecret = { sealed: string; createdAt: number; expiresAt?: number };
type DestinationRow = {
  account: string;
  name: string;
  uuid: string;
  description: string | null;
  connection_name: string | null;
  endpoint: string;
  http_method: string;
  rate_limit: number;
  state: string;
  signing_secrets: string;
  created_at: number;
  updated_at: number;
};

/** EventBridge's default and largest InvocationRateLimitPerSecond. */
export const DEFAULT_RATE_LIMIT = 300;
/** How long the previous signing secret stays valid after a rotation, by default: 24 hours. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/**
 * API destinations: HTTP endpoints that rule targets deliver to, with a connection's auth, a
 * rate limit, and (Tollgate's addition) Standard Webhooks signing secrets: after
 * RotateWebhookSecret, every request is signed with the new secret and, until the overlap ends,
 * the previous one too.
 */
export class ApiDestinationService {
  /** Called after a change (the delivery worker drops what it cached). */
  onChange?: () => void;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly connections: ConnectionService,
    private readonly options: { allowHttp: boolean; allowPrivateTargets: boolean; providerAccountId: string },
  ) {}

  /** CreateApiDestination; `connection: null` (the domain API's webhooks) creates one without a connection. */
  async create(scope: Scope, input: ApiDestinationInput, options: { withoutConnection?: boolean } = {}) {
    checkName("name", input.Name, { max: 64 });
    checkLength("description", input.Description, 512);
    const method = checkMethod(input.HttpMethod);
    const endpoint = this.checkEndpoint(scope, input.InvocationEndpoint);
    checkRange("invocationRateLimitPerSecond", input.InvocationRateLimitPerSecond, 1, DEFAULT_RATE_LIMIT);
    let connection: string | null = null;
    if (!options.withoutConnection || input.ConnectionArn !== undefined) {
      if (input.ConnectionArn === undefined)
        throw constraintError("connectionArn", null, "Member must not be null");
      connection = await this.connections.nameOf(scope, input.ConnectionArn);
    }
    if (await this.row(scope.account, input.Name)) {
      throw new ResourceAlreadyExistsError(`An api-destination '${input.Name}' already exists.`);
    }
    const now = this.clock.now();
    const row: DestinationRow = {
      account: scope.account,
      name: input.Name,
      uuid: randomUUID(),
      description: input.Description ?? null,
      connection_name: connection,
      endpoint,
      http_method: method,
      rate_limit: input.InvocationRateLimitPerSecond ?? DEFAULT_RATE_LIMIT,
      state: "ACTIVE",
      signing_secrets: "[]",
      created_at: now,
      updated_at: now,
    };
    await this.store.db.insertInto("event_api_destinations").values(row).execute();
    return stateAnswer(scope, row);
  }

  async describe(scope: Scope, name: string): Promise<ApiDestination> {
    checkName("name", name, { max: 64 });
    return this.toDestination(scope, await this.require(scope.account, name));
  }

  async list(
    scope: Scope,
    input: { NamePrefix?: string; ConnectionArn?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<Omit<ApiDestination, "Description">>> {
    const rows = await this.store.db
      .selectFrom("event_api_destinations")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const items: Array<Omit<ApiDestination, "Description">> = [];
    for (const row of rows) {
      if (!row.name.startsWith(input.NamePrefix ?? "")) continue;
      const { Description: _, ...d } = await this.toDestination(scope, row);
      if (input.ConnectionArn && d.ConnectionArn !== input.ConnectionArn) continue;
      items.push(d);
    }
    return page(items, input.Limit, input.NextToken);
  }

  async update(scope: Scope, input: ApiDestinationInput) {
    checkName("name", input.Name, { max: 64 });
    checkLength("description", input.Description, 512);
    const row = await this.require(scope.account, input.Name);
    const next: DestinationRow = { ...row, updated_at: this.clock.now() };
    if (input.Description !== undefined) next.description = input.Description;
    if (input.HttpMethod !== undefined) next.http_method = checkMethod(input.HttpMethod);
    if (input.InvocationEndpoint !== undefined)
      next.endpoint = this.checkEndpoint(scope, input.InvocationEndpoint);
    if (input.InvocationRateLimitPerSecond !== undefined) {
      checkRange("invocationRateLimitPerSecond", input.InvocationRateLimitPerSecond, 1, DEFAULT_RATE_LIMIT);
      next.rate_limit = input.InvocationRateLimitPerSecond;
    }
    if (input.ConnectionArn !== undefined)
      next.connection_name = await this.connections.nameOf(scope, input.ConnectionArn);
    await this.store.db
      .updateTable("event_api_destinations")
      .set(next)
      .where("account", "=", scope.account)
      .where("name", "=", input.Name)
      .execute();
    this.onChange?.();
    return stateAnswer(scope, next);
  }

  async delete(scope: Scope, name: string): Promise<void> {
    checkName("name", name, { max: 64 });
    await this.require(scope.account, name);
    await this.store.db
      .deleteFrom("event_api_destinations")
      .where("account", "=", scope.account)
      .where("name", "=", name)
      .execute();
    this.onChange?.();
  }

  /**
   * RotateWebhookSecret: a new signing secret, returned only here. The previous secrets stay
   * valid for `overlapSeconds` (24 hours by default; 0 retires them now).
   */
  async rotateSecret(scope: Scope, name: string, overlapSeconds = DEFAULT_OVERLAP_SECONDS) {
    checkName("name", name, { max: 64 });
    checkRange("overlapSeconds", overlapSeconds, 0, 30 * DEFAULT_OVERLAP_SECONDS);
    const row = await this.require(scope.account, name);
    const now = this.clock.now();
    const secret = newSigningSecret();
    const previous = live(fromJson<StoredSecret[]>(row.signing_secrets, []), now)
      .map((s) => ({
        ...s,
        expiresAt: Math.min(s.expiresAt ?? Number.POSITIVE_INFINITY, now + overlapSeconds * 1000),
      }))
      .filter((s) => s.expiresAt > now);
    const secrets: StoredSecret[] = [{ sealed: this.box.seal(secret), createdAt: now }, ...previous];
    await this.store.db
      .updateTable("event_api_destinations")
      .set({ signing_secrets: toJson(secrets), updated_at: now })
      .where("account", "=", scope.account)
      .where("name", "=", name)
      .execute();
    this.onChange?.();
    return {
      ApiDestinationArn: apiDestinationArn(scope, row.name, row.uuid),
      Secret: secret,
      Secrets: secrets.map(toInfo),
    };
  }

  /** The destination's signing secrets, without their values. */
  async listSecrets(scope: Scope, name: string): Promise<WebhookSecretInfo[]> {
    checkName("name", name, { max: 64 });
    const row = await this.require(scope.account, name);
    return live(fromJson<StoredSecret[]>(row.signing_secrets, []), this.clock.now()).map(toInfo);
  }

  /** The destination an ARN names in the caller's account, or ResourceNotFoundException. */
  async nameOf(scope: Scope, arn: string): Promise<string> {
    const parsed = parseArn(arn);
    const [type, name] = (parsed?.resource ?? "").split("/");
    if (
      !parsed ||
      type !== "api-destination" ||
      !name ||
      parsed.account !== scope.account ||
      !(await this.row(scope.account, name))
    ) {
      throw new ResourceNotFoundError(`Api destination '${arn}' does not exist.`);
    }
    return name;
  }

  arnOf(scope: Scope, name: string, uuid: string): string {
    return apiDestinationArn(scope, name, uuid);
  }

  /** What a delivery needs: the endpoint, its limits and its live secrets, opened. */
  async resolve(account: string, name: string): Promise<ResolvedDestination | undefined> {
    const row = await this.row(account, name);
    if (row?.state !== "ACTIVE") return undefined;
    const now = this.clock.now();
    return {
      uuid: row.uuid,
      endpoint: row.endpoint,
      method: row.http_method as HttpMethod,
      rateLimit: row.rate_limit,
      ...(row.connection_name !== null ? { connection: row.connection_name } : {}),
      secrets: live(fromJson<StoredSecret[]>(row.signing_secrets, []), now).map((s) =>
        this.box.open(s.sealed),
      ),
      restricted: !this.options.allowPrivateTargets && account !== this.options.providerAccountId,
    };
  }

  private checkEndpoint(scope: Scope, endpoint: string | undefined): string {
    if (endpoint === undefined) throw constraintError("invocationEndpoint", null, "Member must not be null");
    checkLength("invocationEndpoint", endpoint, 2048);
    let url: URL;
    try {
      url = new URL(endpoint.replace(/\*/g, "x"));
    } catch {
      throw new ValidationError(`InvocationEndpoint ${endpoint} is not a valid URL.`);
    }
    const https = url.protocol === "https:";
    if (!https && !(url.protocol === "http:" && this.options.allowHttp)) {
      throw new ValidationError(
        `InvocationEndpoint ${endpoint} is not valid: it must use HTTPS${this.options.allowHttp ? " or HTTP" : ""}.`,
      );
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const tenant = scope.account !== this.options.providerAccountId;
    if (
      tenant &&
      !this.options.allowPrivateTargets &&
      (host === "localhost" || (isIP(host) && isPrivateAddress(host)))
    ) {
      throw new ValidationError(
        `InvocationEndpoint ${endpoint} is not valid: it points at a loopback or private address.`,
      );
    }
    return endpoint;
  }

  private async require(account: string, name: string): Promise<DestinationRow> {
    const row = await this.row(account, name);
    if (!row)
      throw new ResourceNotFoundError(
        `Failed to describe the api-destination(s). An api-destination '${name}' does not exist.`,
      );
    return row;
  }

  private row(account: string, name: string): Promise<DestinationRow | undefined> {
    return this.store.db
      .selectFrom("event_api_destinations")
      .selectAll()
      .where("account", "=", account)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  private async toDestination(scope: Scope, row: DestinationRow): Promise<ApiDestination> {
    const connectionUuid =
      row.connection_name !== null
        ? await this.connections.uuidOf(scope.account, row.connection_name)
        : undefined;
    return {
      ApiDestinationArn: apiDestinationArn(scope, row.name, row.uuid),
      Name: row.name,
      ...(row.description !== null ? { Description: row.description } : {}),
      ApiDestinationState: row.state as "ACTIVE",
      ...(row.connection_name !== null && connectionUuid
        ? { ConnectionArn: this.connections.arnOf(scope, row.connection_name, connectionUuid) }
        : {}),
      InvocationEndpoint: row.endpoint,
      HttpMethod: row.http_method as HttpMethod,
      InvocationRateLimitPerSecond: row.rate_limit,
      CreationTime: row.created_at / 1000,
      LastModifiedTime: row.updated_at / 1000,
    };
  }
}

function checkMethod(method: string | undefined): HttpMethod {
  if (method === undefined) throw constraintError("httpMethod", null, "Member must not be null");
  if (!METHODS.includes(method as HttpMethod)) {
    throw constraintError(
      "httpMethod",
      method,
      `Member must satisfy enum value set: [${METHODS.join(", ")}]`,
    );
  }
  return method as HttpMethod;
}

function live(secrets: StoredSecret[], now: number): StoredSecret[] {
  return secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > now);
}

function toInfo(s: StoredSecret): WebhookSecretInfo {
  return {
    CreationTime: s.createdAt / 1000,
    ...(s.expiresAt !== undefined ? { ExpirationTime: s.expiresAt / 1000 } : {}),
  };
}

function stateAnswer(scope: Scope, row: DestinationRow) {
  return {
    ApiDestinationArn: apiDestinationArn(scope, row.name, row.uuid),
    ApiDestinationState: row.state,
    CreationTime: row.created_at / 1000,
    LastModifiedTime: row.updated_at / 1000,
  };
}
