import type { FirewallRule, IpRateLimit, IpSet } from "../shapes.js";
import { type Change, type ExecContext, type FieldChange, idOf, oneNamed, type PatchOp } from "./changes.js";
import type { FirewallConfig } from "./config.js";

type RuleConfig = FirewallConfig["rules"][number];
type LimitConfig = FirewallConfig["ipRateLimits"][number];

/** Names to ids the firewall changes need: the file's APIs and IP sets. */
export interface FirewallIds {
  apis: Map<string, string>;
  ipSets: Map<string, string>;
}

/**
 * The changes that make the server's firewall match the file's section: IP sets first (rules
 * name them), then rules and IP rate limits; each matched by name. `leftovers` deletes what the
 * file does not name, rules before the IP sets they use.
 */
export function planFirewall(
  desired: FirewallConfig,
  current: { ipSets: IpSet[]; rules: FirewallRule[]; ipRateLimits: IpRateLimit[] },
  known: FirewallIds,
): { changes: Change[]; leftovers: Change[] } {
  const changes: Change[] = [];
  for (const set of desired.ipSets) {
    const have = oneNamed(current.ipSets, set.name, "IP set");
    if (have) known.ipSets.set(set.name, have.id);
    const fields: FieldChange[] = [];
    const ops: PatchOp[] = [];
    if (set.description !== undefined && set.description !== (have?.description ?? "")) {
      fields.push({ field: "description", from: have?.description, to: set.description });
      ops.push({ op: "replace", path: "/description", value: set.description });
    }
    if (!have || !sameList(set.addresses, have.addresses)) {
      fields.push({ field: "addresses", from: have?.addresses.join(", "), to: set.addresses.join(", ") });
      ops.push({ op: "replace", path: "/addresses", value: set.addresses.join(",") });
    }
    if (!have) {
      changes.push({
        action: "create",
        kind: "ip set",
        name: set.name,
        fields,
        async run(ctx) {
          const created = await ctx.client.request<IpSet>("POST", "/firewall/ipsets", { body: set });
          ctx.ipSets.set(set.name, created.id);
        },
      });
    } else if (ops.length)
      changes.push(update("ip set", set.name, `/firewall/ipsets/${have.id}`, fields, () => ops));
  }

  const setName = new Map(current.ipSets.map((s) => [s.id, s.name]));
  for (const rule of desired.rules) {
    const have = oneNamed(current.rules, rule.name, "firewall rule");
    const { fields, ops } = ruleDiff(rule, have, setName);
    if (!have) {
      changes.push({
        action: "create",
        kind: "firewall rule",
        name: rule.name,
        fields,
        async run(ctx) {
          const { ipSets, ...rest } = rule;
          await ctx.client.request("POST", "/firewall/rules", {
            body: { ...rest, ipSetIds: ipSets?.map((n) => idOf(ctx.ipSets, n, "IP set")) },
          });
        },
      });
    } else if (fields.length)
      changes.push(update("firewall rule", rule.name, `/firewall/rules/${have.id}`, fields, ops));
  }

  const apiName = new Map([...known.apis].map(([name, id]) => [id, name]));
  for (const limit of desired.ipRateLimits) {
    const have = oneNamed(current.ipRateLimits, limit.name, "IP rate limit");
    const { fields, ops } = limitDiff(limit, have, apiName);
    if (!have) {
      changes.push({
        action: "create",
        kind: "ip rate limit",
        name: limit.name,
        fields,
        async run(ctx) {
          const { api, ...rest } = limit;
          await ctx.client.request("POST", "/firewall/ipratelimits", {
            body: { ...rest, restApiId: api === undefined ? undefined : idOf(ctx.apis, api, "API") },
          });
        },
      });
    } else if (fields.length)
      changes.push(update("ip rate limit", limit.name, `/firewall/ipratelimits/${have.id}`, fields, ops));
  }

  const named = (items: Array<{ name: string }>) => new Set(items.map((i) => i.name));
  const remove = (kind: Change["kind"], name: string, path: string): Change => ({
    action: "delete",
    kind,
    name,
    fields: [],
    async run(ctx) {
      await ctx.client.request("DELETE", path);
    },
  });
  const rules = named(desired.rules);
  const limits = named(desired.ipRateLimits);
  const sets = named(desired.ipSets);
  const leftovers = [
    ...current.rules
      .filter((r) => !rules.has(r.name))
      .map((r) => remove("firewall rule", r.name, `/firewall/rules/${r.id}`)),
    ...current.ipRateLimits
      .filter((l) => !limits.has(l.name))
      .map((l) => remove("ip rate limit", l.name, `/firewall/ipratelimits/${l.id}`)),
    ...current.ipSets
      .filter((s) => !sets.has(s.name))
      .map((s) => remove("ip set", s.name, `/firewall/ipsets/${s.id}`)),
  ];
  return { changes, leftovers };
}

function update(
  kind: Change["kind"],
  name: string,
  path: string,
  fields: FieldChange[],
  ops: (ctx: ExecContext) => PatchOp[],
): Change {
  return {
    action: "update",
    kind,
    name,
    fields,
    async run(ctx) {
      await ctx.client.request("PATCH", path, { body: { patchOperations: ops(ctx) } });
    },
  };
}

function ruleDiff(desired: RuleConfig, current: FirewallRule | undefined, setName: Map<string, string>) {
  const fields: FieldChange[] = [];
  const lazy: Array<(ctx: ExecContext) => PatchOp> = [];
  const scalar = (field: string, from: unknown, to: unknown) => {
    if (to === undefined || from === to) return;
    fields.push({ field, from, to });
    lazy.push(() => ({ op: "replace", path: `/${field}`, value: String(to) }));
  };
  scalar("priority", current?.priority, desired.priority);
  scalar("action", current?.action, desired.action);
  scalar("enabled", current?.enabled, desired.enabled);
  if (desired.description !== undefined)
    scalar("description", current?.description ?? "", desired.description);
  const haveSets = (current?.ipSetIds ?? []).map((id) => setName.get(id) ?? id);
  if (!sameList(desired.ipSets ?? [], haveSets)) {
    fields.push({ field: "ipSets", from: haveSets.join(", "), to: (desired.ipSets ?? []).join(", ") });
    lazy.push((ctx) => ({
      op: "replace",
      path: "/ipSetIds",
      value: (desired.ipSets ?? []).map((n) => idOf(ctx.ipSets, n, "IP set")).join(","),
    }));
  }
  const methods = (desired.methods ?? []).map((m) => m.toUpperCase());
  if (!sameList(methods, current?.methods ?? [])) {
    fields.push({ field: "methods", from: current?.methods?.join(", "), to: methods.join(", ") });
    lazy.push(() => ({ op: "replace", path: "/methods", value: methods.join(",") }));
  }
  for (const field of ["pathPatterns", "headerPatterns"] as const) {
    const want = JSON.stringify(
      desired[field]?.map((p) => (typeof p === "string" ? p : { ...p, name: p.name.toLowerCase() })) ?? [],
    );
    if (want !== JSON.stringify(current?.[field] ?? [])) {
      fields.push({ field, from: current?.[field], to: desired[field] ?? [] });
      lazy.push(() => ({ op: "replace", path: `/${field}`, value: JSON.stringify(desired[field] ?? []) }));
    }
  }
  return { fields, ops: (ctx: ExecContext) => lazy.map((op) => op(ctx)) };
}

function limitDiff(desired: LimitConfig, current: IpRateLimit | undefined, apiName: Map<string, string>) {
  const fields: FieldChange[] = [];
  const lazy: Array<(ctx: ExecContext) => PatchOp> = [];
  for (const field of ["rateLimit", "burstLimit"] as const) {
    if (current?.[field] === desired[field]) continue;
    fields.push({ field, from: current?.[field], to: desired[field] });
    lazy.push(() => ({ op: "replace", path: `/${field}`, value: String(desired[field]) }));
  }
  const haveApi =
    current?.restApiId === undefined ? undefined : (apiName.get(current.restApiId) ?? current.restApiId);
  if (haveApi !== desired.api) {
    fields.push({ field: "api", from: haveApi, to: desired.api });
    lazy.push((ctx) =>
      desired.api === undefined
        ? { op: "remove", path: "/restApiId" }
        : { op: "replace", path: "/restApiId", value: idOf(ctx.apis, desired.api, "API") },
    );
  }
  if (current?.stage !== desired.stage) {
    fields.push({ field: "stage", from: current?.stage, to: desired.stage });
    lazy.push(() =>
      desired.stage === undefined
        ? { op: "remove", path: "/stage" }
        : { op: "replace", path: "/stage", value: desired.stage },
    );
  }
  return { fields, ops: (ctx: ExecContext) => lazy.map((op) => op(ctx)) };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}
