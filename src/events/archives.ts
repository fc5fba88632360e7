import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { archiveArn, BUS_ARN, busArn, foreignCheck, type Scope } from "./arns.js";
import type { EventBusService } from "./buses.js";
import { ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError } from "./errors.js";
import { type EventsPage, page } from "./paging.js";
import { checkPattern, MANAGED_BY, type RuleService } from "./rules.js";
import { checkLength, checkName, checkRange } from "./validate.js";

export interface CreateArchiveInput {
  ArchiveName: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  /** 0 (the default) keeps events indefinitely. */
  RetentionDays?: number;
}

/** An archive, as DescribeArchive returns it. */
export interface Archive {
  ArchiveArn: string;
  ArchiveName: string;
  EventSourceArn: string;
  Description?: string;
  EventPattern?: string;
  State: "ENABLED" | "DISABLED";
  RetentionDays: number;
  SizeBytes: number;
  EventCount: number;
  CreationTime: number;
}

type ArchiveRow = {
  account: string;
  name: string;
  bus_name: string;
  description: string | null;
  event_pattern: string | null;
  retention_days: number;
  state: string;
  created_at: number;
  updated_at: number;
};

/** The rule that feeds an archive, as AWS names it. */
export function archiveRuleName(archive: string): string {
  return `Events-Archive-${archive}`;
}

/**
 * Archives: copies of a bus's events (those matching the archive's pattern, all by default),
 * kept for RetentionDays (0: indefinitely) and replayable. As on AWS, an archive is fed by a
 * managed rule on its bus (`Events-Archive-<name>`), which only the archive's own operations
 * change; the copy is written in the same transaction that accepts the event.
 */
export class ArchiveService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly buses: EventBusService,
    private readonly rules: RuleService,
  ) {}

  async create(scope: Scope, input: CreateArchiveInput) {
    checkName("archiveName", input.ArchiveName, { max: 48 });
    checkLength("description", input.Description, 512);
    checkRange("retentionDays", input.RetentionDays, 0, 2_147_483_647);
    if (input.EventPattern !== undefined) checkPattern(input.EventPattern);
    const bus = this.busOf(scope, input.EventSourceArn);
    await this.buses.require(scope, bus);
    if (await this.row(scope.account, input.ArchiveName)) {
      throw new ResourceAlreadyExistsError(`Archive ${input.ArchiveName} already exists.`);
    }
    const now = this.clock.now();
    const row: ArchiveRow = {
      account: scope.account,
      name: input.ArchiveName,
      bus_name: bus,
      description: input.Description ?? null,
      event_pattern: input.EventPattern ?? null,
      retention_days: input.RetentionDays ?? 0,
      state: "ENABLED",
      created_at: now,
      updated_at: now,
    };
    await this.store.db.insertInto("event_archives").values(row).execute();
    await this.feed(scope, row);
    return { ArchiveArn: archiveArn(scope, row.name), State: row.state, CreationTime: now / 1000 };
  }

  async describe(scope: Scope, name: string): Promise<Archive> {
    checkName("archiveName", name, { max: 48 });
    const row = await this.require(scope.account, name);
    return this.toArchive(scope, row);
  }

  async list(
    scope: Scope,
    input: {
      NamePrefix?: string;
      EventSourceArn?: string;
      State?: string;
      NextToken?: string;
      Limit?: number;
    },
  ): Promise<EventsPage<Omit<Archive, "ArchiveArn" | "Description" | "EventPattern">>> {
    const bus = input.EventSourceArn !== undefined ? this.busOf(scope, input.EventSourceArn) : undefined;
    const rows = await this.store.db
      .selectFrom("event_archives")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const items = [];
    for (const row of rows) {
      if (!row.name.startsWith(input.NamePrefix ?? "")) continue;
      if (bus !== undefined && row.bus_name !== bus) continue;
      if (input.State !== undefined && row.state !== input.State) continue;
      const {
        ArchiveArn: _,
        Description: __,
        EventPattern: ___,
        ...summary
      } = await this.toArchive(scope, row);
      items.push(summary);
    }
    return page(items, input.Limit, input.NextToken);
  }

  async update(
    scope: Scope,
    input: { ArchiveName: string; Description?: string; EventPattern?: string; RetentionDays?: number },
  ) {
    checkName("archiveName", input.ArchiveName, { max: 48 });
    checkLength("description", input.Description, 512);
    checkRange("retentionDays", input.RetentionDays, 0, 2_147_483_647);
    if (input.EventPattern !== undefined) checkPattern(input.EventPattern);
    const row = await this.require(scope.account, input.ArchiveName);
    const next: ArchiveRow = {
      ...row,
      description: input.Description ?? row.description,
      event_pattern: input.EventPattern ?? row.event_pattern,
      retention_days: input.RetentionDays ?? row.retention_days,
      updated_at: this.clock.now(),
    };
    await this.store.db
      .updateTable("event_archives")
      .set(next)
      .where("account", "=", scope.account)
      .where("name", "=", row.name)
      .execute();
    if (input.EventPattern !== undefined) await this.feed(scope, next);
    return {
      ArchiveArn: archiveArn(scope, row.name),
      State: next.state,
      CreationTime: row.created_at / 1000,
    };
  }

  /** DeleteArchive: the archive, its managed rule and its events. */
  async delete(scope: Scope, name: string): Promise<void> {
    checkName("archiveName", name, { max: 48 });
    const row = await this.require(scope.account, name);
    const rule = archiveRuleName(name);
    await this.rules
      .removeTargets(scope, { Rule: rule, EventBusName: row.bus_name, Ids: ["archive"], Force: true })
      .catch(() => {});
    await this.rules.delete(scope, rule, row.bus_name, { force: true }).catch(() => {});
    await this.store.transaction(async (trx) => {
      await trx
        .deleteFrom("event_archive_events")
        .where("account", "=", scope.account)
        .where("archive_name", "=", name)
        .execute();
      await trx
        .deleteFrom("event_archives")
        .where("account", "=", scope.account)
        .where("name", "=", name)
        .execute();
    });
  }

  /** The archive row, or ResourceNotFoundException. */
  async require(account: string, name: string): Promise<ArchiveRow> {
    const row = await this.row(account, name);
    if (!row) throw new ResourceNotFoundError(`Archive ${name} does not exist.`);
    return row;
  }

  /** Deletes archived events past their archive's retention; returns how many. */
  async prune(): Promise<number> {
    const archives = await this.store.db
      .selectFrom("event_archives")
      .select(["account", "name", "retention_days"])
      .where("retention_days", ">", 0)
      .execute();
    let deleted = 0;
    for (const a of archives) {
      const result = await this.store.db
        .deleteFrom("event_archive_events")
        .where("account", "=", a.account)
        .where("archive_name", "=", a.name)
        .where("archived_at", "<", this.clock.now() - a.retention_days * 86_400_000)
        .executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  /** The managed rule that copies matching events into the archive. */
  private async feed(scope: Scope, row: ArchiveRow): Promise<void> {
    const rule = archiveRuleName(row.name);
    // Every event on a bus carries the bus's account: the pattern that matches them all.
    const pattern = row.event_pattern ?? JSON.stringify({ account: [scope.account] });
    await this.rules.put(
      scope,
      {
        Name: rule,
        EventBusName: row.bus_name,
        EventPattern: pattern,
        Description: `Feeds archive ${row.name}`,
      },
      { managedBy: MANAGED_BY },
    );
    await this.rules.putTargets(
      scope,
      {
        Rule: rule,
        EventBusName: row.bus_name,
        Targets: [{ Id: "archive", Arn: archiveArn(scope, row.name) }],
      },
      { managedBy: MANAGED_BY },
    );
  }

  private busOf(scope: Scope, arn: string): string {
    const m = BUS_ARN.exec(arn);
    if (!m)
      throw new ValidationError(
        `Parameter EventSourceArn is not valid. Reason: ${arn} is not the ARN of an event bus.`,
      );
    foreignCheck(scope, m[2]!, arn);
    return m[3]!;
  }

  private row(account: string, name: string): Promise<ArchiveRow | undefined> {
    return this.store.db
      .selectFrom("event_archives")
      .selectAll()
      .where("account", "=", account)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  private async toArchive(scope: Scope, row: ArchiveRow): Promise<Archive> {
    const stats = await this.store.db
      .selectFrom("event_archive_events")
      .select((eb) => [eb.fn.countAll<number>().as("count"), eb.fn.sum<number>("size_bytes").as("size")])
      .where("account", "=", row.account)
      .where("archive_name", "=", row.name)
      .executeTakeFirst();
    return {
      ArchiveArn: archiveArn(scope, row.name),
      ArchiveName: row.name,
      EventSourceArn: busArn(scope, row.bus_name),
      ...(row.description !== null ? { Description: row.description } : {}),
      ...(row.event_pattern !== null ? { EventPattern: row.event_pattern } : {}),
      State: row.state as "ENABLED",
      RetentionDays: row.retention_days,
      SizeBytes: Number(stats?.size ?? 0),
      EventCount: Number(stats?.count ?? 0),
      CreationTime: row.created_at / 1000,
    };
  }
}
