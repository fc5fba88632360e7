import { type AdminClient, CliError } from "../client.js";

/** What a change does to one resource; `replace` deletes and creates (a key whose value changed). */
export type Action = "create" | "update" | "replace" | "delete";

export type Kind =
  | "api"
  | "stage"
  | "usage plan"
  | "tenant"
  | "api key"
  | "ip set"
  | "firewall rule"
  | "ip rate limit";

/** One field that differs: shown in the plan as `field: from → to`. */
export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

/** A key created by apply. */
export interface CreatedKey {
  tenant: string;
  name: string;
  plan: string;
  id: string;
  /** The generated value, shown this once; absent when the file supplied it. */
  value?: string;
}

/**
 * What changes run against: the client and the ids of named resources, which grow as changes
 * create resources (a plan created after its API refers to the API's new id).
 */
export interface ExecContext {
  client: AdminClient;
  apis: Map<string, string>;
  plans: Map<string, string>;
  tenants: Map<string, string>;
  /** Firewall IP sets by name. */
  ipSets: Map<string, string>;
  createdKeys: CreatedKey[];
}

/** One planned change: what the plan prints, and how the execute step carries it out. */
export interface Change {
  action: Action;
  kind: Kind;
  /** `petstore`, `petstore/dev`, `acme/main` (tenant/key). */
  name: string;
  fields: FieldChange[];
  run(ctx: ExecContext): Promise<void>;
}

/** An API Gateway patch operation. */
export interface PatchOp {
  op: "add" | "remove" | "replace";
  path: string;
  value?: string;
}

/** A patch operation whose path or value may need an id known only while executing. */
export type LazyOp = (ctx: ExecContext) => PatchOp;

/** The id of a named resource, created earlier in this run or found before it. */
export function idOf(ids: Map<string, string>, name: string, what: string): string {
  const id = ids.get(name);
  if (id === undefined) throw new Error(`internal: no id for ${what} '${name}'`);
  return id;
}

/** Escapes a patch path segment as a JSON Pointer (`/pets` becomes `~1pets`). */
export function pointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Splits a method key (`/pets/GET`, or the stage default `*` for both parts) into resource path
 * and method, and gives its patch path prefix (`/~1pets/GET`).
 */
export function methodKey(key: string): { resourcePath: string; method: string; patchPath: string } {
  const at = key.lastIndexOf("/");
  const resourcePath = key.slice(0, at);
  const method = key.slice(at + 1);
  return { resourcePath, method, patchPath: `/${pointer(resourcePath)}/${method}` };
}

/**
 * A method key as the server returned it, in the file's form: API Gateway writes stage
 * method settings as `pets/GET` or `~1pets/GET`; both become `/pets/GET`.
 */
export function normalizeMethodKey(key: string): string {
  const at = key.lastIndexOf("/");
  let resourcePath = key.slice(0, at).replace(/~1/g, "/").replace(/~0/g, "~");
  if (resourcePath !== "*" && !resourcePath.startsWith("/")) resourcePath = `/${resourcePath}`;
  return `${resourcePath}/${key.slice(at + 1)}`;
}

/** Finds the one resource with a name; several with the same name make matching ambiguous. */
export function oneNamed<T extends { id: string }>(
  items: T[],
  name: string,
  what: string,
  nameOf: (item: T) => string | undefined = (item) => (item as { name?: string }).name,
): T | undefined {
  const found = items.filter((item) => nameOf(item) === name);
  if (found.length > 1) {
    throw new CliError(
      `${found.length} ${what}s are named '${name}' (ids ${found.map((f) => f.id).join(", ")}); apply matches by name, so rename or delete all but one`,
    );
  }
  return found[0];
}
