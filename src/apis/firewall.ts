/**
 * The gateway's firewall (Tollgate's own resources, in API Gateway's style): IP sets, rules that
 * block (or let through) requests by address, method, path or header pattern before anything
 * else runs, and per-address rate limits for requests that carry no key. Every gateway process
 * applies them within a second of a change.
 */
import isSafeRegex from "safe-regex2";
import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import {
  type PatchOperation,
  patchBoolean,
  patchNumber,
  patchSegments,
  patchValue,
  unsupportedPatch,
} from "../core/patch.js";
import { fromJson, isUniqueViolation, type Store, toJson } from "../store/index.js";
import { parseIpRange } from "./ip-ranges.js";

export interface IpSet {
  id: string;
  name: string;
  description?: string;
  /** IPv4 and IPv6 addresses and CIDR blocks. */
  addresses: string[];
  createdDate: number;
  lastUpdatedDate: number;
}

export interface HeaderPattern {
  /** Header name (case-insensitive). */
  name: string;
  /** A regular expression the header's value must match (a missing header never matches). */
  pattern: string;
}

/**
 * A rule matches a request when every condition it states matches (within a list, any entry);
 * rules run in `priority` order and the first match decides: BLOCK answers 403, ALLOW lets the
 * request through without the remaining rules.
 */
export interface FirewallRule {
  id: string;
  name: string;
  description?: string;
  /** Lower runs first. */
  priority: number;
  action: "BLOCK" | "ALLOW";
  enabled: boolean;
  /** The client address is in one of these IP sets. */
  ipSetIds?: string[];
  /** The request method is one of these. */
  methods?: string[];
  /** The request path (stage included, query excluded) matches one of these regular expressions. */
  pathPatterns?: string[];
  /** Some header matches its pattern. */
  headerPatterns?: HeaderPattern[];
  createdDate: number;
  lastUpdatedDate: number;
}

/** A token bucket per client address for requests without a key, on one API (or all) and stage (or all). */
export interface IpRateLimit {
  id: string;
  name: string;
  restApiId?: string;
  stage?: string;
  rateLimit: number;
  burstLimit: number;
  createdDate: number;
  lastUpdatedDate: number;
}

export type IpSetInput = Pick<IpSet, "name" | "description" | "addresses">;
export type FirewallRuleInput = Omit<FirewallRule, "id" | "createdDate" | "lastUpdatedDate" | "enabled"> & {
  enabled?: boolean;
};
export type IpRateLimitInput = Omit<IpRateLimit, "id" | "createdDate" | "lastUpdatedDate">;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

type Table = "firewall_ip_sets" | "firewall_rules" | "firewall_ip_rate_limits";
type Row = { id: string; name: string; attributes: string; created_at: number; updated_at: number };

/** Checks an IP set; addresses are kept as written, deduplicated. */
export function checkIpSet(input: IpSetInput): IpSetInput {
  checkName(input.name, "IP set");
  if (!Array.isArray(input.addresses)) throw new BadRequestError("Invalid IP set: addresses must be a list");
  for (const a of input.addresses) parseIpRange(a, `IP set '${input.name}'`);
  return { name: input.name, description: input.description, addresses: [...new Set(input.addresses)] };
}

/** Checks a rule against the IP sets that exist (by id). */
export function checkRule(input: FirewallRuleInput, ipSets: Set<string>): FirewallRuleInput {
  checkName(input.name, "firewall rule");
  const where = `firewall rule '${input.name}'`;
  if (!Number.isInteger(input.priority) || input.priority < 0)
    throw new BadRequestError(`Invalid priority of ${where}: expected a whole number from 0`);
  const action = String(input.action ?? "").toUpperCase();
  if (action !== "BLOCK" && action !== "ALLOW")
    throw new BadRequestError(`Invalid action '${input.action}' of ${where}: expected BLOCK or ALLOW`);
  const out: FirewallRuleInput = {
    name: input.name,
    description: input.description,
    priority: input.priority,
    action,
    enabled: input.enabled ?? true,
  };
  if (input.ipSetIds?.length) {
    const unknown = input.ipSetIds.find((id) => !ipSets.has(id));
    if (unknown) throw new BadRequestError(`Invalid ${where}: there is no IP set '${unknown}'`);
    out.ipSetIds = [...new Set(input.ipSetIds)];
  }
  if (input.methods?.length) {
    const methods = input.methods.map((m) => m.toUpperCase());
    const bad = methods.find((m) => !METHODS.includes(m));
    if (bad) throw new BadRequestError(`Invalid method '${bad}' in ${where}: expected ${METHODS.join(", ")}`);
    out.methods = [...new Set(methods)];
  }
  if (input.pathPatterns?.length) {
    for (const p of input.pathPatterns) checkPattern(p, `pathPatterns of ${where}`);
    out.pathPatterns = input.pathPatterns;
  }
  if (input.headerPatterns?.length) {
    for (const h of input.headerPatterns) {
      if (typeof h?.name !== "string" || !HEADER_NAME.test(h.name))
        throw new BadRequestError(`Invalid header name '${h?.name}' in headerPatterns of ${where}`);
      checkPattern(h.pattern, `headerPatterns of ${where}`);
    }
    out.headerPatterns = input.headerPatterns.map((h) => ({
      name: h.name.toLowerCase(),
      pattern: h.pattern,
    }));
  }
  if (!out.ipSetIds && !out.methods && !out.pathPatterns && !out.headerPatterns) {
    throw new BadRequestError(
      `Invalid ${where}: state at least one condition (ipSetIds, methods, pathPatterns, headerPatterns); a rule without one would match every request`,
    );
  }
  return out;
}

export function checkIpRateLimit(input: IpRateLimitInput): IpRateLimitInput {
  checkName(input.name, "IP rate limit");
  const where = `IP rate limit '${input.name}'`;
  if (typeof input.rateLimit !== "number" || !(input.rateLimit >= 0))
    throw new BadRequestError(`Invalid rateLimit of ${where}: expected requests per second, 0 or more`);
  if (!Number.isInteger(input.burstLimit) || input.burstLimit < 0)
    throw new BadRequestError(`Invalid burstLimit of ${where}: expected a whole number, 0 or more`);
  if (input.stage !== undefined && !input.stage)
    throw new BadRequestError(`Invalid stage of ${where}: empty`);
  return {
    name: input.name,
    ...(input.restApiId ? { restApiId: input.restApiId } : {}),
    ...(input.stage ? { stage: input.stage } : {}),
    rateLimit: input.rateLimit,
    burstLimit: input.burstLimit,
  };
}

function checkName(name: string, what: string): void {
  if (!NAME.test(name ?? ""))
    throw new BadRequestError(`Invalid ${what} name '${name}': 1 to 128 letters, digits, '.', '_' or '-'`);
}

function checkPattern(pattern: unknown, where: string): void {
  if (typeof pattern !== "string" || !pattern)
    throw new BadRequestError(`Invalid pattern in ${where}: empty`);
  try {
    new RegExp(pattern);
  } catch (error) {
    throw new BadRequestError(
      `Invalid regular expression '${pattern}' in ${where}: ${(error as Error).message}`,
    );
  }
  // Every request is matched against these: a pattern that can backtrack exponentially
  // (nested quantifiers such as `(a+)+`) would let one crafted path stall the gateway.
  if (!isSafeRegex(pattern)) {
    throw new BadRequestError(
      `Unsafe regular expression '${pattern}' in ${where}: nested quantifiers can take exponential time; simplify it`,
    );
  }
}

function toResource<T>(row: Row): T {
  return {
    id: row.id,
    name: row.name,
    ...fromJson<object>(row.attributes, {}),
    createdDate: Math.floor(row.created_at / 1000),
    lastUpdatedDate: Math.floor(row.updated_at / 1000),
  } as T;
}

/** IP sets, rules and IP rate limits: create, list, get, update (patchOperations), delete. */
export class FirewallService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  // ---- IP sets ----

  createIpSet(input: IpSetInput): Promise<IpSet> {
    const { name, ...attributes } = checkIpSet(input);
    return this.insert<IpSet>("firewall_ip_sets", name, attributes, "IP set");
  }

  listIpSets(): Promise<IpSet[]> {
    return this.list<IpSet>("firewall_ip_sets");
  }

  getIpSet(id: string): Promise<IpSet> {
    return this.get<IpSet>("firewall_ip_sets", id, "IP set");
  }

  async updateIpSet(id: string, operations: PatchOperation[]): Promise<IpSet> {
    const current = await this.getIpSet(id);
    const next: IpSetInput = {
      name: current.name,
      description: current.description,
      addresses: [...current.addresses],
    };
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (rest.length) throw unsupportedPatch(op, IP_SET_PATHS);
      if (op.op === "replace" && field === "name") next.name = patchValue(op);
      else if (op.op === "replace" && field === "description") next.description = op.value || undefined;
      else if (field === "addresses" && op.op === "add") next.addresses.push(patchValue(op));
      else if (field === "addresses" && op.op === "remove") {
        const value = patchValue(op);
        next.addresses = next.addresses.filter((a) => a !== value);
      } else if (field === "addresses" && op.op === "replace") next.addresses = splitList(op.value);
      else throw unsupportedPatch(op, IP_SET_PATHS);
    }
    const { name, ...attributes } = checkIpSet(next);
    return this.save<IpSet>("firewall_ip_sets", id, name, attributes, "IP set");
  }

  async deleteIpSet(id: string): Promise<void> {
    await this.getIpSet(id);
    const users = (await this.listRules()).filter((r) => r.ipSetIds?.includes(id));
    if (users.length)
      throw new ConflictError(
        `Cannot delete IP set ${id}: rule ${users.map((r) => `'${r.name}'`).join(", ")} uses it`,
      );
    await this.remove("firewall_ip_sets", id);
  }

  // ---- rules ----

  async createRule(input: FirewallRuleInput): Promise<FirewallRule> {
    const { name, ...attributes } = checkRule(input, await this.ipSetIds());
    return this.insert<FirewallRule>("firewall_rules", name, attributes, "firewall rule");
  }

  /** Rules in the order they run: by priority, then name. */
  async listRules(): Promise<FirewallRule[]> {
    const rules = await this.list<FirewallRule>("firewall_rules");
    return rules.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  }

  getRule(id: string): Promise<FirewallRule> {
    return this.get<FirewallRule>("firewall_rules", id, "firewall rule");
  }

  async updateRule(id: string, operations: PatchOperation[]): Promise<FirewallRule> {
    const { id: _, createdDate: __, lastUpdatedDate: ___, ...next } = await this.getRule(id);
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (op.op !== "replace" || rest.length) throw unsupportedPatch(op, RULE_PATHS);
      if (field === "name") next.name = patchValue(op);
      else if (field === "description") next.description = op.value || undefined;
      else if (field === "priority") next.priority = patchNumber(op, { integer: true, min: 0 });
      else if (field === "action") next.action = patchValue(op).toUpperCase() as FirewallRule["action"];
      else if (field === "enabled") next.enabled = patchBoolean(op);
      else if (field === "ipSetIds") next.ipSetIds = splitList(op.value);
      else if (field === "methods") next.methods = splitList(op.value);
      else if (field === "pathPatterns") next.pathPatterns = jsonList<string>(op);
      else if (field === "headerPatterns") next.headerPatterns = jsonList<HeaderPattern>(op);
      else throw unsupportedPatch(op, RULE_PATHS);
    }
    const { name, ...attributes } = checkRule(next, await this.ipSetIds());
    return this.save<FirewallRule>("firewall_rules", id, name, attributes, "firewall rule");
  }

  async deleteRule(id: string): Promise<void> {
    await this.getRule(id);
    await this.remove("firewall_rules", id);
  }

  // ---- IP rate limits ----

  createIpRateLimit(input: IpRateLimitInput): Promise<IpRateLimit> {
    const { name, ...attributes } = checkIpRateLimit(input);
    return this.insert<IpRateLimit>("firewall_ip_rate_limits", name, attributes, "IP rate limit");
  }

  listIpRateLimits(): Promise<IpRateLimit[]> {
    return this.list<IpRateLimit>("firewall_ip_rate_limits");
  }

  getIpRateLimit(id: string): Promise<IpRateLimit> {
    return this.get<IpRateLimit>("firewall_ip_rate_limits", id, "IP rate limit");
  }

  async updateIpRateLimit(id: string, operations: PatchOperation[]): Promise<IpRateLimit> {
    const { id: _, createdDate: __, lastUpdatedDate: ___, ...next } = await this.getIpRateLimit(id);
    for (const op of operations) {
      const [field, ...rest] = patchSegments(op.path);
      if (rest.length || (op.op !== "replace" && op.op !== "remove")) throw unsupportedPatch(op, LIMIT_PATHS);
      const clear = op.op === "remove" || !op.value;
      if (op.op === "replace" && field === "name") next.name = patchValue(op);
      else if (op.op === "replace" && field === "rateLimit") next.rateLimit = patchNumber(op, { min: 0 });
      else if (op.op === "replace" && field === "burstLimit")
        next.burstLimit = patchNumber(op, { integer: true, min: 0 });
      else if (field === "restApiId") next.restApiId = clear ? undefined : op.value;
      else if (field === "stage") next.stage = clear ? undefined : op.value;
      else throw unsupportedPatch(op, LIMIT_PATHS);
    }
    const { name, ...attributes } = checkIpRateLimit(next);
    return this.save<IpRateLimit>("firewall_ip_rate_limits", id, name, attributes, "IP rate limit");
  }

  async deleteIpRateLimit(id: string): Promise<void> {
    await this.getIpRateLimit(id);
    await this.remove("firewall_ip_rate_limits", id);
  }

  // ---- storage ----

  private async ipSetIds(): Promise<Set<string>> {
    const rows = await this.store.db.selectFrom("firewall_ip_sets").select("id").execute();
    return new Set(rows.map((r) => r.id));
  }

  private async insert<T>(table: Table, name: string, attributes: object, what: string): Promise<T> {
    const now = this.clock.now();
    const row: Row = { id: newId(), name, attributes: toJson(attributes), created_at: now, updated_at: now };
    await this.write(name, what, (db) => db.insertInto(table).values(row).execute());
    return toResource<T>(row);
  }

  private async save<T>(
    table: Table,
    id: string,
    name: string,
    attributes: object,
    what: string,
  ): Promise<T> {
    const row = await this.row(table, id, what);
    const next: Row = { ...row, name, attributes: toJson(attributes), updated_at: this.clock.now() };
    await this.write(name, what, (db) => db.updateTable(table).set(next).where("id", "=", id).execute());
    return toResource<T>(next);
  }

  private async list<T>(table: Table): Promise<T[]> {
    const rows = await this.store.db.selectFrom(table).selectAll().orderBy("name").execute();
    return rows.map((r) => toResource<T>(r));
  }

  private async get<T>(table: Table, id: string, what: string): Promise<T> {
    return toResource<T>(await this.row(table, id, what));
  }

  private async row(table: Table, id: string, what: string): Promise<Row> {
    const row = await this.store.db.selectFrom(table).selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid ${what} identifier specified: ${id}`);
    return row;
  }

  private async remove(table: Table, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await trx.deleteFrom(table).where("id", "=", id).execute();
      await this.store.bumpRevision(trx);
    });
  }

  private async write(
    name: string,
    what: string,
    fn: (db: Parameters<Parameters<Store["transaction"]>[0]>[0]) => Promise<unknown>,
  ) {
    try {
      await this.store.transaction(async (trx) => {
        await fn(trx);
        await this.store.bumpRevision(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A ${what} named '${name}' already exists`);
      throw error;
    }
  }
}

const IP_SET_PATHS = ["/name", "/description", "/addresses"];
const RULE_PATHS = [
  "/name",
  "/description",
  "/priority",
  "/action",
  "/enabled",
  "/ipSetIds",
  "/methods",
  "/pathPatterns",
  "/headerPatterns",
];
const LIMIT_PATHS = ["/name", "/rateLimit", "/burstLimit", "/restApiId", "/stage"];

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}

function jsonList<T>(op: PatchOperation): T[] {
  try {
    const value = JSON.parse(op.value ?? "[]");
    if (!Array.isArray(value)) throw new Error("not a list");
    return value as T[];
  } catch (error) {
    throw new BadRequestError(
      `Invalid value for ${op.path}: expected a JSON list (${(error as Error).message})`,
    );
  }
}
