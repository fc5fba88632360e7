import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { eventSourceArn, type Scope } from "./arns.js";
import { ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError } from "./errors.js";
import { type EventsPage, page } from "./paging.js";
import { checkName, PARTNER_SOURCE_PATTERN } from "./validate.js";

export type EventSourceState = "PENDING" | "ACTIVE" | "DELETED";

/** A partner event source as the tenant sees it (DescribeEventSource). */
export interface EventSource {
  Arn: string;
  CreatedBy: string;
  CreationTime: number;
  Name: string;
  State: EventSourceState;
}

type SourceRow = {
  name: string;
  account: string;
  state: string;
  created_by: string;
  created_at: number;
  updated_at: number;
};

/**
 * Partner event sources. The provider (the partner) creates a source for a tenant's account;
 * the tenant sees it as an event source in PENDING state, creates its partner event bus of the
 * same name (which activates it), and can deactivate and activate it. PutPartnerEvents reaches
 * the bus only while the source is ACTIVE. Names are `aws.partner/<partner name>/...`.
 */
export class EventSourceService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly region: string,
    /** The provider's partner name: every source it creates is `aws.partner/<partnerName>/...`. */
    readonly partnerName: string,
    /** Whether an account id belongs to a tenant. */
    private readonly isTenantAccount: (account: string) => Promise<boolean>,
  ) {}

  /** CreatePartnerEventSource (provider side). */
  async create(input: { Name: string; Account: string }): Promise<{ EventSourceArn: string }> {
    this.checkName(input.Name);
    if (!/^\d{12}$/.test(input.Account)) {
      throw new ValidationError(
        `1 validation error detected: Value '${input.Account}' at 'account' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}`,
      );
    }
    if (!(await this.isTenantAccount(input.Account))) {
      throw new ValidationError(`Account ${input.Account} is not the account of a tenant.`);
    }
    const now = this.clock.now();
    const existing = await this.row(input.Name);
    if (existing && existing.state !== "DELETED") {
      throw new ResourceAlreadyExistsError(`Event source ${input.Name} already exists.`);
    }
    const row = {
      name: input.Name,
      account: input.Account,
      state: "PENDING",
      created_by: this.partnerName,
      created_at: now,
      updated_at: now,
    };
    if (existing)
      await this.store.db.updateTable("event_sources").set(row).where("name", "=", input.Name).execute();
    else await this.store.db.insertInto("event_sources").values(row).execute();
    return { EventSourceArn: eventSourceArn(this.region, input.Name) };
  }

  /**
   * Makes sure a source of the provider's exists for an account (PENDING when created), and
   * with `activate` that it is ACTIVE: Tollgate's own sources for tenants (their event source).
   */
  async ensure(name: string, account: string, options: { activate?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    const state = options.activate ? "ACTIVE" : "PENDING";
    await this.store.db
      .insertInto("event_sources")
      .values({ name, account, state, created_by: this.partnerName, created_at: now, updated_at: now })
      .onConflict((oc) =>
        options.activate
          ? oc.column("name").doUpdateSet({ state, updated_at: now })
          : oc.column("name").doNothing(),
      )
      .execute();
  }

  /** DescribePartnerEventSource (provider side). */
  async describePartner(name: string): Promise<{ Arn: string; Name: string }> {
    this.checkName(name);
    await this.require(name);
    return { Arn: eventSourceArn(this.region, name), Name: name };
  }

  /** ListPartnerEventSources (provider side): by name prefix. */
  async listPartner(input: {
    NamePrefix: string;
    NextToken?: string;
    Limit?: number;
  }): Promise<EventsPage<{ Arn: string; Name: string }>> {
    const rows = await this.store.db
      .selectFrom("event_sources")
      .select("name")
      .where("state", "<>", "DELETED")
      .orderBy("name")
      .execute();
    return page(
      rows
        .filter((r) => r.name.startsWith(input.NamePrefix))
        .map((r) => ({ Arn: eventSourceArn(this.region, r.name), Name: r.name })),
      input.Limit,
      input.NextToken,
    );
  }

  /** ListPartnerEventSourceAccounts (provider side): who the source is for, and its state there. */
  async accountsOf(
    name: string,
  ): Promise<Array<{ Account: string; CreationTime: number; State: EventSourceState }>> {
    this.checkName(name);
    const row = await this.require(name);
    return [
      { Account: row.account, CreationTime: row.created_at / 1000, State: row.state as EventSourceState },
    ];
  }

  /** DeletePartnerEventSource (provider side): the source becomes DELETED for its account. */
  async delete(input: { Name: string; Account: string }): Promise<void> {
    this.checkName(input.Name);
    const row = await this.require(input.Name);
    if (row.account !== input.Account)
      throw new ResourceNotFoundError(`Event source ${input.Name} does not exist.`);
    await this.setState(input.Name, "DELETED");
  }

  /** DescribeEventSource (tenant side). */
  async describe(scope: Scope, name: string): Promise<EventSource> {
    this.checkTenantName(name);
    return this.toSource(await this.owned(scope, name));
  }

  /** ListEventSources (tenant side). */
  async list(
    scope: Scope,
    input: { NamePrefix?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<EventSource>> {
    const rows = await this.store.db
      .selectFrom("event_sources")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const prefix = input.NamePrefix ?? "";
    return page(
      rows.filter((r) => r.name.startsWith(prefix)).map((r) => this.toSource(r)),
      input.Limit,
      input.NextToken,
    );
  }

  /** ActivateEventSource / DeactivateEventSource (tenant side); a deleted source stays deleted. */
  async activate(scope: Scope, name: string, active: boolean): Promise<void> {
    this.checkTenantName(name);
    const row = await this.owned(scope, name);
    if (row.state === "DELETED") {
      throw new ValidationError(
        `Event source ${name} was deleted by its partner and cannot be ${active ? "activated" : "deactivated"}.`,
      );
    }
    await this.setState(name, active ? "ACTIVE" : "PENDING");
  }

  private async setState(name: string, state: EventSourceState): Promise<void> {
    await this.store.db
      .updateTable("event_sources")
      .set({ state, updated_at: this.clock.now() })
      .where("name", "=", name)
      .execute();
  }

  private async owned(scope: Scope, name: string): Promise<SourceRow> {
    const row = await this.row(name);
    if (!row || row.account !== scope.account)
      throw new ResourceNotFoundError(`Event source ${name} does not exist.`);
    return row;
  }

  private async require(name: string): Promise<SourceRow> {
    const row = await this.row(name);
    if (!row || row.state === "DELETED")
      throw new ResourceNotFoundError(`Event source ${name} does not exist.`);
    return row;
  }

  private row(name: string): Promise<SourceRow | undefined> {
    return this.store.db.selectFrom("event_sources").selectAll().where("name", "=", name).executeTakeFirst();
  }

  private checkName(name: string): void {
    this.checkTenantName(name);
    const prefix = `aws.partner/${this.partnerName}/`;
    if (!name.startsWith(prefix)) {
      throw new ValidationError(
        `Event source name ${name} is not valid: the partner's sources are named ${prefix}<name>.`,
      );
    }
  }

  private checkTenantName(name: string): void {
    checkName("name", name, {
      max: 256,
      pattern: PARTNER_SOURCE_PATTERN,
      patternText: "aws\\.partner(/[\\.\\-_A-Za-z0-9]+){2,}",
    });
  }

  private toSource(row: SourceRow): EventSource {
    return {
      Arn: eventSourceArn(this.region, row.name),
      CreatedBy: row.created_by,
      CreationTime: row.created_at / 1000,
      Name: row.name,
      State: row.state as EventSourceState,
    };
  }
}
