import type { Clock } from "../core/clock.js";
import { fromJson, type Store, type Tx, toJson } from "../store/index.js";
import { ruleArn, type Scope } from "./arns.js";
import type { ChangeListener, EventBusService } from "./buses.js";
import {
  EventsError,
  LimitExceededError,
  ManagedRuleError,
  ResourceNotFoundError,
  ValidationError,
} from "./errors.js";
import { type EventsPage, page } from "./paging.js";
import { compilePattern, InvalidEventPatternError } from "./pattern/index.js";
import { bumpBus } from "./revision.js";
import { checkTarget, MAX_TARGETS_PER_RULE, type Target } from "./targets.js";
import { checkLength, checkName, checkTags } from "./validate.js";

export type RuleState = "ENABLED" | "DISABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

export interface PutRuleInput {
  Name: string;
  EventBusName?: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State?: RuleState;
  Description?: string;
  RoleArn?: string;
  Tags?: Array<{ Key: string; Value: string }>;
}

/** A rule, as DescribeRule returns it. */
export interface Rule {
  Name: string;
  Arn: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State: RuleState;
  Description?: string;
  RoleArn?: string;
  ManagedBy?: string;
  EventBusName: string;
  CreatedBy?: string;
}

/** A failed entry of PutTargets or RemoveTargets. */
export interface FailedTargetEntry {
  TargetId: string;
  ErrorCode: string;
  ErrorMessage: string;
}

/** Who manages the rules Tollgate creates for archives. */
export const MANAGED_BY = "events.tollgate.internal";
/** The most rules a bus can have (AWS's quota). */
export const MAX_RULES_PER_BUS = 300;
const MAX_PATTERN_LENGTH = 4096;
const STATES: RuleState[] = ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"];
const SCHEDULE = /^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(.+\))$/;

type RuleRow = {
  account: string;
  bus_name: string;
  name: string;
  event_pattern: string | null;
  schedule_expression: string | null;
  state: string;
  description: string | null;
  role_arn: string | null;
  managed_by: string | null;
};

/**
 * Rules and their targets on an account's buses. Every change bumps the bus's revision in the
 * same transaction, so the routers of all processes pick it up.
 */
export class RuleService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly buses: EventBusService,
    private readonly changed: ChangeListener,
  ) {}

  /** PutRule: creates the rule, or updates it (keeping its targets and tags). */
  async put(
    scope: Scope,
    input: PutRuleInput,
    options: { managedBy?: string } = {},
  ): Promise<{ RuleArn: string }> {
    const bus = input.EventBusName ?? "default";
    checkName("name", input.Name, { max: 64 });
    checkLength("description", input.Description, 512);
    checkLength("roleArn", input.RoleArn, 1600);
    const tags = checkTags(input.Tags);
    if (input.State !== undefined && !STATES.includes(input.State)) {
      throw new ValidationError(
        `1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${STATES.join(", ")}]`,
      );
    }
    if (input.EventPattern === undefined && input.ScheduleExpression === undefined) {
      throw new ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.");
    }
    if (input.EventPattern !== undefined) checkPattern(input.EventPattern);
    if (input.ScheduleExpression !== undefined) {
      if (input.ScheduleExpression.length > 256 || !SCHEDULE.test(input.ScheduleExpression)) {
        throw new ValidationError("Parameter ScheduleExpression is not valid.");
      }
      if (bus !== "default")
        throw new ValidationError("ScheduleExpression is supported only on the default event bus.");
    }
    const now = this.clock.now();
    await this.store.transaction(async (trx) => {
      await this.buses.require(scope, bus, trx);
      const existing = await ruleRow(trx, scope.account, bus, input.Name);
      if (existing?.managed_by && existing.managed_by !== options.managedBy) throw managed(input.Name);
      const fields = {
        event_pattern: input.EventPattern ?? null,
        schedule_expression: input.ScheduleExpression ?? null,
        state: input.State ?? "ENABLED",
        description: input.Description ?? null,
        role_arn: input.RoleArn ?? null,
        updated_at: now,
      };
      if (existing) {
        await trx
          .updateTable("event_rules")
          .set(fields)
          .where("account", "=", scope.account)
          .where("bus_name", "=", bus)
          .where("name", "=", input.Name)
          .execute();
      } else {
        const count = await trx
          .selectFrom("event_rules")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("account", "=", scope.account)
          .where("bus_name", "=", bus)
          .executeTakeFirstOrThrow();
        if (Number(count.n) >= MAX_RULES_PER_BUS) {
          throw new LimitExceededError("The requested resource exceeds the maximum number allowed.");
        }
        await trx
          .insertInto("event_rules")
          .values({
            account: scope.account,
            bus_name: bus,
            name: input.Name,
            ...fields,
            managed_by: options.managedBy ?? null,
            tags: toJson(tags),
            created_at: now,
          })
          .execute();
      }
      await bumpBus(trx, scope.account, bus);
    });
    this.changed(scope.account, bus);
    return { RuleArn: ruleArn(scope, bus, input.Name) };
  }

  async describe(scope: Scope, name: string, busName = "default"): Promise<Rule> {
    checkName("name", name, { max: 64 });
    await this.buses.require(scope, busName);
    return toRule(scope, await requireRule(this.store.db, scope.account, busName, name));
  }

  async list(
    scope: Scope,
    input: { EventBusName?: string; NamePrefix?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<Omit<Rule, "CreatedBy">>> {
    const bus = input.EventBusName ?? "default";
    await this.buses.require(scope, bus);
    const rows = await this.store.db
      .selectFrom("event_rules")
      .selectAll()
      .where("account", "=", scope.account)
      .where("bus_name", "=", bus)
      .orderBy("name")
      .execute();
    const prefix = input.NamePrefix ?? "";
    return page(
      rows
        .filter((r) => r.name.startsWith(prefix))
        .map((r) => {
          const { CreatedBy: _, ...rule } = toRule(scope, r);
          return rule;
        }),
      input.Limit,
      input.NextToken,
    );
  }

  /** EnableRule / DisableRule. */
  async setState(scope: Scope, name: string, busName: string, state: "ENABLED" | "DISABLED"): Promise<void> {
    checkName("name", name, { max: 64 });
    await this.store.transaction(async (trx) => {
      await this.buses.require(scope, busName, trx);
      const row = await requireRule(trx, scope.account, busName, name);
      if (row.managed_by) throw managed(name);
      await trx
        .updateTable("event_rules")
        .set({ state, updated_at: this.clock.now() })
        .where("account", "=", scope.account)
        .where("bus_name", "=", busName)
        .where("name", "=", name)
        .execute();
      await bumpBus(trx, scope.account, busName);
    });
    this.changed(scope.account, busName);
  }

  /** DeleteRule: a rule with targets is refused; a rule that is not there is a success, as on AWS. */
  async delete(
    scope: Scope,
    name: string,
    busName = "default",
    options: { force?: boolean } = {},
  ): Promise<void> {
    checkName("name", name, { max: 64 });
    const deleted = await this.store.transaction(async (trx) => {
      await this.buses.require(scope, busName, trx);
      const row = await ruleRow(trx, scope.account, busName, name);
      if (!row) return false;
      if (row.managed_by && !options.force) throw managed(name);
      const targets = await targetRows(trx, scope.account, busName, name);
      if (targets.length && !row.managed_by)
        throw new ValidationError("Rule can't be deleted since it has targets.");
      await trx
        .deleteFrom("event_targets")
        .where("account", "=", scope.account)
        .where("bus_name", "=", busName)
        .where("rule_name", "=", name)
        .execute();
      await trx
        .deleteFrom("event_rules")
        .where("account", "=", scope.account)
        .where("bus_name", "=", busName)
        .where("name", "=", name)
        .execute();
      await bumpBus(trx, scope.account, busName);
      return true;
    });
    if (deleted) this.changed(scope.account, busName);
  }

  /**
   * PutTargets: adds or replaces targets by Id. The whole request is checked first; a request
   * that would take the rule past five targets changes nothing.
   */
  async putTargets(
    scope: Scope,
    input: { Rule: string; EventBusName?: string; Targets: Target[] },
    options: { managedBy?: string; check?: (target: Target) => Promise<void> } = {},
  ): Promise<{ FailedEntryCount: number; FailedEntries: FailedTargetEntry[] }> {
    const bus = input.EventBusName ?? "default";
    checkName("rule", input.Rule, { max: 64 });
    if (input.Targets.length < 1 || input.Targets.length > 100) {
      throw new ValidationError(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 100`,
      );
    }
    const ids = new Set<string>();
    for (const [i, target] of input.Targets.entries()) {
      checkTarget(scope, target, i);
      if (ids.has(target.Id))
        throw new ValidationError(`The target Id ${target.Id} is specified more than once.`);
      ids.add(target.Id);
    }
    for (const target of input.Targets) await options.check?.(target);
    const now = this.clock.now();
    await this.store.transaction(async (trx) => {
      await this.buses.require(scope, bus, trx);
      const rule = await requireRule(trx, scope.account, bus, input.Rule);
      if (rule.managed_by && rule.managed_by !== options.managedBy) throw managed(input.Rule);
      const existing = new Set((await targetRows(trx, scope.account, bus, input.Rule)).map((t) => t.id));
      const after = new Set([...existing, ...ids]);
      if (after.size > MAX_TARGETS_PER_RULE) {
        throw new LimitExceededError("The requested resource exceeds the maximum number allowed.");
      }
      for (const target of input.Targets) {
        const row = {
          account: scope.account,
          bus_name: bus,
          rule_name: input.Rule,
          id: target.Id,
          arn: target.Arn,
          definition: toJson(target),
          created_at: now,
          updated_at: now,
        };
        if (existing.has(target.Id)) {
          await trx
            .updateTable("event_targets")
            .set({ arn: row.arn, definition: row.definition, updated_at: now })
            .where("account", "=", scope.account)
            .where("bus_name", "=", bus)
            .where("rule_name", "=", input.Rule)
            .where("id", "=", target.Id)
            .execute();
        } else await trx.insertInto("event_targets").values(row).execute();
      }
      await bumpBus(trx, scope.account, bus);
    });
    this.changed(scope.account, bus);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  /** RemoveTargets: ids the rule does not have are ignored, as on AWS. */
  async removeTargets(
    scope: Scope,
    input: { Rule: string; EventBusName?: string; Ids: string[]; Force?: boolean },
  ): Promise<{ FailedEntryCount: number; FailedEntries: FailedTargetEntry[] }> {
    const bus = input.EventBusName ?? "default";
    checkName("rule", input.Rule, { max: 64 });
    if (input.Ids.length < 1 || input.Ids.length > 100) {
      throw new ValidationError(
        "1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100",
      );
    }
    for (const [i, id] of input.Ids.entries()) checkName(`ids.${i + 1}.member`, id, { max: 64 });
    await this.store.transaction(async (trx) => {
      await this.buses.require(scope, bus, trx);
      const rule = await requireRule(trx, scope.account, bus, input.Rule);
      if (rule.managed_by && !input.Force) throw managed(input.Rule);
      await trx
        .deleteFrom("event_targets")
        .where("account", "=", scope.account)
        .where("bus_name", "=", bus)
        .where("rule_name", "=", input.Rule)
        .where("id", "in", input.Ids)
        .execute();
      await bumpBus(trx, scope.account, bus);
    });
    this.changed(scope.account, bus);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  async listTargets(
    scope: Scope,
    input: { Rule: string; EventBusName?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<Target>> {
    const bus = input.EventBusName ?? "default";
    checkName("rule", input.Rule, { max: 64 });
    await this.buses.require(scope, bus);
    await requireRule(this.store.db, scope.account, bus, input.Rule);
    const rows = await targetRows(this.store.db, scope.account, bus, input.Rule);
    return page(
      rows.map((r) => fromJson<Target>(r.definition, { Id: r.id, Arn: r.arn })),
      input.Limit,
      input.NextToken,
    );
  }

  /** One target of a rule, or undefined. */
  async target(account: string, bus: string, rule: string, id: string): Promise<Target | undefined> {
    const row = await this.store.db
      .selectFrom("event_targets")
      .select(["definition"])
      .where("account", "=", account)
      .where("bus_name", "=", bus)
      .where("rule_name", "=", rule)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? fromJson<Target>(row.definition, {} as Target) : undefined;
  }
}

/** Compiles a pattern to check it, with AWS's InvalidEventPatternException message on failure. */
export function checkPattern(text: string): void {
  if (text.length > MAX_PATTERN_LENGTH) {
    throw new ValidationError(
      `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`,
    );
  }
  try {
    compilePattern(text);
  } catch (error) {
    if (error instanceof InvalidEventPatternError)
      throw new EventsError("InvalidEventPatternException", error.message);
    throw error;
  }
}

async function ruleRow(db: Tx, account: string, bus: string, name: string): Promise<RuleRow | undefined> {
  return db
    .selectFrom("event_rules")
    .selectAll()
    .where("account", "=", account)
    .where("bus_name", "=", bus)
    .where("name", "=", name)
    .executeTakeFirst();
}

export async function requireRule(db: Tx, account: string, bus: string, name: string): Promise<RuleRow> {
  const row = await ruleRow(db, account, bus, name);
  if (!row) throw new ResourceNotFoundError(`Rule ${name} does not exist on EventBus ${bus}.`);
  return row;
}

async function targetRows(db: Tx, account: string, bus: string, rule: string) {
  return db
    .selectFrom("event_targets")
    .selectAll()
    .where("account", "=", account)
    .where("bus_name", "=", bus)
    .where("rule_name", "=", rule)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

function managed(name: string): ManagedRuleError {
  return new ManagedRuleError(
    `Rule ${name} is managed by ${MANAGED_BY} (an archive's rule) and cannot be changed; delete its archive instead.`,
  );
}

function toRule(scope: Scope, row: RuleRow): Rule {
  return {
    Name: row.name,
    Arn: ruleArn(scope, row.bus_name, row.name),
    ...(row.event_pattern !== null ? { EventPattern: row.event_pattern } : {}),
    ...(row.schedule_expression !== null ? { ScheduleExpression: row.schedule_expression } : {}),
    State: row.state as RuleState,
    ...(row.description !== null ? { Description: row.description } : {}),
    ...(row.role_arn !== null ? { RoleArn: row.role_arn } : {}),
    ...(row.managed_by !== null ? { ManagedBy: row.managed_by } : {}),
    EventBusName: row.bus_name,
    CreatedBy: row.account,
  };
}
