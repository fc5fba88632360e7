import type { Store } from "../store/index.js";
import { fromJson } from "../store/index.js";
import { ruleArn, type Scope } from "./arns.js";
import { compilePattern, RuleMatcher } from "./pattern/index.js";
import { eventsRevision } from "./revision.js";
import { type Target, type TargetKind, targetKind } from "./targets.js";

/** A target as the router hands it out: its rule, what it points at and its queue. */
export interface RoutedTarget {
  ruleName: string;
  ruleArn: string;
  target: Target;
  kind: TargetKind;
  /** The delivery queue: `api-destination:<account>/<name>` or `event-bus:<account>/<name>`; "" for archives. */
  destination: string;
}

interface BusRoutes {
  revision: number;
  matcher: RuleMatcher<string>;
  targets: Map<string, RoutedTarget[]>;
}

/**
 * The rules of every bus, compiled: one RuleMatcher per bus (account and name), built from the
 * store on first use and rebuilt when the bus changes. Changes made in this process invalidate
 * at once; changes made by other processes are seen within `syncIntervalMs` (the global
 * revision is read at most that often, then only the buses whose revision moved are rebuilt).
 */
export class Router {
  private readonly buses = new Map<string, BusRoutes>();
  private readonly loading = new Map<string, Promise<BusRoutes>>();
  private seenRevision = -1;
  private checkedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly region: string,
    private readonly syncIntervalMs = 1000,
  ) {}

  /** Drops a bus's compiled rules: the next event on it rebuilds them. */
  invalidate(account: string, bus: string): void {
    const key = busKey(account, bus);
    this.buses.delete(key);
    this.loading.delete(key);
  }

  /** The targets an event on the bus goes to, by rule, in rule order. */
  async route(account: string, bus: string, event: unknown): Promise<RoutedTarget[]> {
    const routes = await this.routes(account, bus);
    if (routes.matcher.size === 0) return [];
    const out: RoutedTarget[] = [];
    for (const rule of routes.matcher.match(event)) out.push(...(routes.targets.get(rule) ?? []));
    return out;
  }

  /** One target of a rule as the router knows it (the delivery worker reads targets here). */
  async target(account: string, bus: string, rule: string, id: string): Promise<RoutedTarget | undefined> {
    const routes = await this.routes(account, bus);
    return routes.targets.get(rule)?.find((t) => t.target.Id === id);
  }

  private async routes(account: string, bus: string): Promise<BusRoutes> {
    await this.sync();
    const key = busKey(account, bus);
    const ready = this.buses.get(key);
    if (ready) return ready;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(account, bus);
      this.loading.set(key, pending);
    }
    const routes = await pending;
    // A change that landed while loading invalidated the key: keep the result for this call only.
    if (this.loading.get(key) === pending) {
      this.loading.delete(key);
      this.buses.set(key, routes);
    }
    return routes;
  }

  /** Reads the global revision at most once per interval and drops buses that others changed. */
  private async sync(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < this.syncIntervalMs) return;
    this.checkedAt = now;
    const revision = await eventsRevision(this.store.db);
    if (revision === this.seenRevision) return;
    this.seenRevision = revision;
    if (this.buses.size === 0) return;
    const rows = await this.store.db
      .selectFrom("event_buses")
      .select(["account", "name", "revision"])
      .execute();
    const current = new Map(rows.map((r) => [busKey(r.account, r.name), Number(r.revision)]));
    for (const [key, routes] of this.buses) {
      if (current.get(key) !== routes.revision) this.buses.delete(key);
    }
  }

  private async load(account: string, bus: string): Promise<BusRoutes> {
    const db = this.store.db;
    const busRow = await db
      .selectFrom("event_buses")
      .select("revision")
      .where("account", "=", account)
      .where("name", "=", bus)
      .executeTakeFirst();
    const rules = await db
      .selectFrom("event_rules")
      .select(["name", "event_pattern"])
      .where("account", "=", account)
      .where("bus_name", "=", bus)
      .where("state", "<>", "DISABLED")
      .where("event_pattern", "is not", null)
      .execute();
    const targetRows = await db
      .selectFrom("event_targets")
      .select(["rule_name", "definition"])
      .where("account", "=", account)
      .where("bus_name", "=", bus)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const scope: Scope = { account, region: this.region };
    const targets = new Map<string, RoutedTarget[]>();
    for (const row of targetRows) {
      const target = fromJson<Target>(row.definition, {} as Target);
      let kind: TargetKind;
      try {
        kind = targetKind(scope, target);
      } catch {
        continue;
      }
      const routed: RoutedTarget = {
        ruleName: row.rule_name,
        ruleArn: ruleArn(scope, bus, row.rule_name),
        target,
        kind,
        destination: destinationOf(account, kind),
      };
      targets.set(row.rule_name, [...(targets.get(row.rule_name) ?? []), routed]);
    }
    const matcher = new RuleMatcher<string>();
    for (const rule of rules) {
      if (!targets.has(rule.name)) continue;
      try {
        matcher.add(rule.name, compilePattern(rule.event_pattern!));
      } catch {
        // A pattern stored before a stricter validator: the rule matches nothing.
      }
    }
    return { revision: Number(busRow?.revision ?? -1), matcher, targets };
  }
}

/** The queue a target's deliveries wait in. */
export function destinationOf(account: string, kind: TargetKind): string {
  if (kind.kind === "api-destination") return `api-destination:${account}/${kind.name}`;
  if (kind.kind === "event-bus") return `event-bus:${kind.account}/${kind.name}`;
  return "";
}

function busKey(account: string, bus: string): string {
  return `${account}\u0000${bus}`;
}
