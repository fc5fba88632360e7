import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/secrets.js";
import { fromJson, type Store, toJson } from "../store/index.js";
import { connectionArn, parseArn, type Scope } from "./arns.js";
import {
  constraintError,
  ResourceAlreadyExistsError,
  ResourceNotFoundError,
  ValidationError,
} from "./errors.js";
import { type EventsPage, page } from "./paging.js";
import { checkLength, checkName } from "./validate.js";

export type AuthorizationType = "BASIC" | "OAUTH_CLIENT_CREDENTIALS" | "API_KEY";

/** A key-value parameter of a connection; secret values are sealed and never returned. */
export interface ConnectionParameter {
  Key: string;
  Value: string;
  IsValueSecret?: boolean;
}

export interface ConnectionHttpParameters {
  HeaderParameters?: ConnectionParameter[];
  QueryStringParameters?: ConnectionParameter[];
  BodyParameters?: ConnectionParameter[];
}

/** AuthParameters of CreateConnection and UpdateConnection, field for field. */
export interface AuthParameters {
  BasicAuthParameters?: { Username?: string; Password?: string };
  OAuthParameters?: {
    ClientParameters?: { ClientID?: string; ClientSecret?: string };
    AuthorizationEndpoint?: string;
    HttpMethod?: "GET" | "POST" | "PUT";
    OAuthHttpParameters?: ConnectionHttpParameters;
  };
  ApiKeyAuthParameters?: { ApiKeyName?: string; ApiKeyValue?: string };
  InvocationHttpParameters?: ConnectionHttpParameters;
}

export interface ConnectionInput {
  Name: string;
  Description?: string;
  AuthorizationType?: AuthorizationType;
  AuthParameters?: AuthParameters;
}

/** A connection as DescribeConnection returns it: no secret values. */
export interface Connection {
  ConnectionArn: string;
  Name: string;
  Description?: string;
  ConnectionState: string;
  StateReason?: string;
  AuthorizationType: AuthorizationType;
  SecretArn: string;
  AuthParameters: AuthParameters;
  CreationTime: number;
  LastModifiedTime: number;
  LastAuthorizedTime?: number;
}

/** A connection as the delivery worker needs it: every value, secrets opened. */
export interface ResolvedConnection {
  key: string;
  authorizationType: AuthorizationType;
  auth: AuthParameters;
  /** Changes whenever the connection is updated (OAuth tokens are cached per version). */
  version: number;
}

type ConnectionRow = {
  account: string;
  name: string;
  uuid: string;
  description: string | null;
  authorization_type: string;
  auth_parameters: string;
  secrets_sealed: string;
  state: string;
  state_reason: string | null;
  created_at: number;
  updated_at: number;
  authorized_at: number | null;
};

const TYPES: AuthorizationType[] = ["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"];

/**
 * Connections: how an API destination authenticates (basic, OAuth client credentials, API
 * key) and the extra parameters every invocation carries. The whole AuthParameters are sealed
 * with the server secret (AWS keeps them in Secrets Manager); Describe shows them without the
 * password, client secret, API key value and parameters marked secret.
 */
export class ConnectionService {
  /** Called after a change (the delivery worker drops what it cached). */
  onChange?: () => void;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {}

  async create(scope: Scope, input: ConnectionInput) {
    checkName("name", input.Name, { max: 64 });
    checkLength("description", input.Description, 512);
    const type = input.AuthorizationType;
    if (!type || !TYPES.includes(type)) {
      throw constraintError(
        "authorizationType",
        type ?? null,
        `Member must satisfy enum value set: [${TYPES.join(", ")}]`,
      );
    }
    const auth = input.AuthParameters ?? {};
    checkAuth(type, auth);
    const now = this.clock.now();
    if (await this.row(scope.account, input.Name)) {
      throw new ResourceAlreadyExistsError(`Connection ${input.Name} already exists.`);
    }
    const row: ConnectionRow = {
      account: scope.account,
      name: input.Name,
      uuid: randomUUID(),
      description: input.Description ?? null,
      authorization_type: type,
      auth_parameters: toJson(redact(auth)),
      secrets_sealed: this.box.seal(JSON.stringify(auth)),
      state: "AUTHORIZED",
      state_reason: null,
      created_at: now,
      updated_at: now,
      authorized_at: now,
    };
    await this.store.db.insertInto("event_connections").values(row).execute();
    return stateAnswer(scope, row);
  }

  async describe(scope: Scope, name: string): Promise<Connection> {
    checkName("name", name, { max: 64 });
    return toConnection(scope, await this.require(scope.account, name));
  }

  async list(
    scope: Scope,
    input: { NamePrefix?: string; ConnectionState?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<Omit<Connection, "AuthParameters" | "SecretArn" | "Description">>> {
    const rows = await this.store.db
      .selectFrom("event_connections")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const items = rows
      .filter((r) => r.name.startsWith(input.NamePrefix ?? ""))
      .filter((r) => !input.ConnectionState || r.state === input.ConnectionState)
      .map((r) => {
        const { AuthParameters: _, SecretArn: __, Description: ___, ...summary } = toConnection(scope, r);
        return summary;
      });
    return page(items, input.Limit, input.NextToken);
  }

  /** UpdateConnection: the given fields replace the stored ones; AuthParameters merge member by member. */
  async update(scope: Scope, input: ConnectionInput) {
    checkName("name", input.Name, { max: 64 });
    checkLength("description", input.Description, 512);
    const row = await this.require(scope.account, input.Name);
    const type = input.AuthorizationType ?? (row.authorization_type as AuthorizationType);
    if (!TYPES.includes(type)) {
      throw constraintError(
        "authorizationType",
        type,
        `Member must satisfy enum value set: [${TYPES.join(", ")}]`,
      );
    }
    const current = JSON.parse(this.box.open(row.secrets_sealed)) as AuthParameters;
    const auth = merge(
      type === row.authorization_type
        ? current
        : { InvocationHttpParameters: current.InvocationHttpParameters },
      input.AuthParameters ?? {},
    );
    checkAuth(type, auth);
    const now = this.clock.now();
    const next: ConnectionRow = {
      ...row,
      description: input.Description ?? row.description,
      authorization_type: type,
      auth_parameters: toJson(redact(auth)),
      secrets_sealed: this.box.seal(JSON.stringify(auth)),
      updated_at: now,
      authorized_at: now,
    };
    await this.store.db
      .updateTable("event_connections")
      .set(next)
      .where("account", "=", scope.account)
      .where("name", "=", input.Name)
      .execute();
    this.onChange?.();
    return { ...stateAnswer(scope, next), LastAuthorizedTime: now / 1000 };
  }

  /** DeleteConnection: refused while an API destination uses it. */
  async delete(scope: Scope, name: string) {
    checkName("name", name, { max: 64 });
    const row = await this.require(scope.account, name);
    const users = await this.store.db
      .selectFrom("event_api_destinations")
      .select("name")
      .where("account", "=", scope.account)
      .where("connection_name", "=", name)
      .execute();
    if (users.length) {
      throw new ValidationError(
        `Connection ${name} is used by API destinations (${users.map((u) => u.name).join(", ")}): delete or update them first.`,
      );
    }
    await this.store.db
      .deleteFrom("event_connections")
      .where("account", "=", scope.account)
      .where("name", "=", name)
      .execute();
    this.onChange?.();
    return {
      ...stateAnswer(scope, row),
      ConnectionState: "DELETING",
      LastAuthorizedTime: (row.authorized_at ?? row.created_at) / 1000,
    };
  }

  /** The connection an ARN names in the caller's account; ResourceNotFoundException otherwise. */
  async nameOf(scope: Scope, arn: string): Promise<string> {
    const parsed = parseArn(arn);
    const [type, name, uuid] = (parsed?.resource ?? "").split("/");
    if (!parsed || type !== "connection" || !name || parsed.account !== scope.account) {
      throw new ResourceNotFoundError(`Connection '${arn}' does not exist.`);
    }
    const row = await this.row(scope.account, name);
    if (!row || (uuid !== undefined && uuid !== row.uuid))
      throw new ResourceNotFoundError(`Connection '${arn}' does not exist.`);
    return name;
  }

  arnOf(scope: Scope, name: string, uuid: string): string {
    return connectionArn(scope, name, uuid);
  }

  /** Everything a delivery needs to authenticate, secrets opened. */
  async resolve(account: string, name: string): Promise<ResolvedConnection | undefined> {
    const row = await this.row(account, name);
    if (!row) return undefined;
    return {
      key: `${account}/${name}`,
      authorizationType: row.authorization_type as AuthorizationType,
      auth: JSON.parse(this.box.open(row.secrets_sealed)) as AuthParameters,
      version: row.updated_at,
    };
  }

  async uuidOf(account: string, name: string): Promise<string | undefined> {
    return (await this.row(account, name))?.uuid;
  }

  private async require(account: string, name: string): Promise<ConnectionRow> {
    const row = await this.row(account, name);
    if (!row)
      throw new ResourceNotFoundError(
        `Failed to describe the connection(s). Connection '${name}' does not exist.`,
      );
    return row;
  }

  private row(account: string, name: string): Promise<ConnectionRow | undefined> {
    return this.store.db
      .selectFrom("event_connections")
      .selectAll()
      .where("account", "=", account)
      .where("name", "=", name)
      .executeTakeFirst();
  }
}

function checkAuth(type: AuthorizationType, auth: AuthParameters): void {
  if (type === "BASIC") {
    const basic = auth.BasicAuthParameters;
    if (!basic?.Username || !basic.Password) {
      throw new ValidationError(
        "BasicAuthParameters with Username and Password are required for authorization type BASIC.",
      );
    }
  } else if (type === "API_KEY") {
    const key = auth.ApiKeyAuthParameters;
    if (!key?.ApiKeyName || !key.ApiKeyValue) {
      throw new ValidationError(
        "ApiKeyAuthParameters with ApiKeyName and ApiKeyValue are required for authorization type API_KEY.",
      );
    }
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key.ApiKeyName)) {
      throw new ValidationError(`ApiKeyName ${key.ApiKeyName} is not a valid HTTP header name.`);
    }
  } else {
    const oauth = auth.OAuthParameters;
    if (
      !oauth?.ClientParameters?.ClientID ||
      !oauth.ClientParameters.ClientSecret ||
      !oauth.AuthorizationEndpoint ||
      !oauth.HttpMethod
    ) {
      throw new ValidationError(
        "OAuthParameters with ClientParameters (ClientID, ClientSecret), AuthorizationEndpoint and HttpMethod are required for authorization type OAUTH_CLIENT_CREDENTIALS.",
      );
    }
    if (!["GET", "POST", "PUT"].includes(oauth.HttpMethod)) {
      throw constraintError(
        "authParameters.oAuthParameters.httpMethod",
        oauth.HttpMethod,
        "Member must satisfy enum value set: [GET, POST, PUT]",
      );
    }
    let url: URL;
    try {
      url = new URL(oauth.AuthorizationEndpoint);
    } catch {
      throw new ValidationError(`AuthorizationEndpoint ${oauth.AuthorizationEndpoint} is not a valid URL.`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new ValidationError(
        `AuthorizationEndpoint ${oauth.AuthorizationEndpoint} must be an http(s) URL.`,
      );
    }
  }
}

/** The parameters without secret values, as Describe shows them. */
function redact(auth: AuthParameters): AuthParameters {
  const params = (p: ConnectionHttpParameters | undefined): ConnectionHttpParameters | undefined => {
    if (!p) return undefined;
    const strip = (list?: ConnectionParameter[]) =>
      list?.map((x) => (x.IsValueSecret ? { Key: x.Key, IsValueSecret: true } : x)) as
        | ConnectionParameter[]
        | undefined;
    return clean({
      HeaderParameters: strip(p.HeaderParameters),
      QueryStringParameters: strip(p.QueryStringParameters),
      BodyParameters: strip(p.BodyParameters),
    });
  };
  return clean({
    BasicAuthParameters: auth.BasicAuthParameters
      ? { Username: auth.BasicAuthParameters.Username }
      : undefined,
    OAuthParameters: auth.OAuthParameters
      ? clean({
          ClientParameters: { ClientID: auth.OAuthParameters.ClientParameters?.ClientID },
          AuthorizationEndpoint: auth.OAuthParameters.AuthorizationEndpoint,
          HttpMethod: auth.OAuthParameters.HttpMethod,
          OAuthHttpParameters: params(auth.OAuthParameters.OAuthHttpParameters),
        })
      : undefined,
    ApiKeyAuthParameters: auth.ApiKeyAuthParameters
      ? { ApiKeyName: auth.ApiKeyAuthParameters.ApiKeyName }
      : undefined,
    InvocationHttpParameters: params(auth.InvocationHttpParameters),
  });
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Merges update parameters into the stored ones: objects member by member, arrays and values replaced. */
function merge<T>(base: T, patch: T): T {
  if (Array.isArray(patch) || patch === null || typeof patch !== "object") return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === undefined) continue;
    const current = out[k];
    out[k] = current && typeof current === "object" && !Array.isArray(current) ? merge(current, v) : v;
  }
  return out as T;
}

function stateAnswer(scope: Scope, row: ConnectionRow) {
  return {
    ConnectionArn: connectionArn(scope, row.name, row.uuid),
    ConnectionState: row.state,
    CreationTime: row.created_at / 1000,
    LastModifiedTime: row.updated_at / 1000,
  };
}

function toConnection(scope: Scope, row: ConnectionRow): Connection {
  return {
    ConnectionArn: connectionArn(scope, row.name, row.uuid),
    Name: row.name,
    ...(row.description !== null ? { Description: row.description } : {}),
    ConnectionState: row.state,
    ...(row.state_reason !== null ? { StateReason: row.state_reason } : {}),
    AuthorizationType: row.authorization_type as AuthorizationType,
    SecretArn: `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:events!connection/${row.name}/${row.uuid}`,
    AuthParameters: fromJson<AuthParameters>(row.auth_parameters, {}),
    CreationTime: row.created_at / 1000,
    LastModifiedTime: row.updated_at / 1000,
    ...(row.authorized_at !== null ? { LastAuthorizedTime: row.authorized_at / 1000 } : {}),
  };
}
