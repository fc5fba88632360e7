/**
 * The firewall at the front of the request path: rules (by client address, method, path and
 * header patterns) compiled once per configuration load, run in priority order before routing;
 * the first that matches decides. Also where each stage finds its per-address rate limit.
 */
import type { FirewallRule, IpRateLimit, IpSet } from "../apis/index.js";
import { parseIpRange } from "../apis/index.js";
import { fromJson, type Store } from "../store/index.js";
import { headerValue } from "./authorizers.js";
import { IpMatcher } from "./client-ip.js";
import type { Refusal } from "./responses.js";

interface CompiledRule {
  block: Refusal | undefined;
  ip?: IpMatcher;
  methods?: Set<string>;
  path?: RegExp;
  headers?: Array<{ name: string; pattern: RegExp }>;
}

export class Firewall {
  private readonly rules: CompiledRule[];
  private readonly limits: IpRateLimit[];

  constructor(rules: FirewallRule[], ipSets: IpSet[], limits: IpRateLimit[]) {
    const sets = new Map(ipSets.map((s) => [s.id, s]));
    this.rules = rules
      .filter((r) => r.enabled)
      .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))
      .map((r) => compileRule(r, sets));
    this.limits = limits;
  }

  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  /** The refusal for a request a BLOCK rule matches first; undefined when it may go on. */
  check(method: string, path: string, rawHeaders: string[], ip: string): Refusal | undefined {
    for (const rule of this.rules) {
      if (rule.methods && !rule.methods.has(method)) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.ip && !rule.ip.has(ip)) continue;
      if (
        rule.headers &&
        !rule.headers.some((h) => {
          const value = headerValue(rawHeaders, h.name);
          return value !== undefined && h.pattern.test(value);
        })
      )
        continue;
      return rule.block;
    }
    return undefined;
  }

  /** The most specific IP rate limit for a stage: API and stage, API, stage, then every API. */
  ipRateLimitFor(restApiId: string, stage: string): { id: string; rate: number; burst: number } | undefined {
    const rank = (l: IpRateLimit) =>
      l.restApiId && l.restApiId !== restApiId
        ? -1
        : l.stage && l.stage !== stage
          ? -1
          : (l.restApiId ? 2 : 0) + (l.stage ? 1 : 0);
    let best: IpRateLimit | undefined;
    for (const l of this.limits) if (rank(l) >= 0 && (!best || rank(l) > rank(best))) best = l;
    return best && { id: best.id, rate: best.rateLimit, burst: best.burstLimit };
  }
}

function compileRule(rule: FirewallRule, sets: Map<string, IpSet>): CompiledRule {
  const compiled: CompiledRule = {
    block:
      rule.action === "BLOCK"
        ? {
            status: 403,
            type: "ForbiddenException",
            message: `Forbidden: blocked by the gateway's firewall (rule '${rule.name}')`,
          }
        : undefined,
  };
  if (rule.ipSetIds?.length) {
    const addresses = rule.ipSetIds.flatMap((id) => sets.get(id)?.addresses ?? []);
    compiled.ip = new IpMatcher(addresses.map((a) => parseIpRange(a, `IP set of rule '${rule.name}'`)));
  }
  if (rule.methods?.length) compiled.methods = new Set(rule.methods);
  if (rule.pathPatterns?.length)
    compiled.path = new RegExp(rule.pathPatterns.map((p) => `(?:${p})`).join("|"));
  if (rule.headerPatterns?.length)
    compiled.headers = rule.headerPatterns.map((h) => ({
      name: h.name.toLowerCase(),
      pattern: new RegExp(h.pattern),
    }));
  return compiled;
}

/** Reads and compiles the firewall; undefined when there are neither rules nor limits. */
export async function loadFirewall(db: Store["db"]): Promise<Firewall | undefined> {
  const [rules, sets, limits] = await Promise.all([
    db.selectFrom("firewall_rules").selectAll().execute(),
    db.selectFrom("firewall_ip_sets").selectAll().execute(),
    db.selectFrom("firewall_ip_rate_limits").selectAll().execute(),
  ]);
  if (!rules.length && !limits.length) return undefined;
  const read = <T>(r: { id: string; name: string; attributes: string }) =>
    ({ id: r.id, name: r.name, ...fromJson<object>(r.attributes, {}) }) as T;
  return new Firewall(rules.map(read<FirewallRule>), sets.map(read<IpSet>), limits.map(read<IpRateLimit>));
}
