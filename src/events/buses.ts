import type { Clock } from "../core/clock.js";
import { fromJson, type Store, type Tx, toJson } from "../store/index.js";
import { busArn, type Scope } from "./arns.js";
import { ResourceAlreadyExistsError, ResourceNotFoundError, ValidationError } from "./errors.js";
import { type EventsPage, page } from "./paging.js";
import { bumpBus } from "./revision.js";
import { BUS_NAME_PATTERN, checkLength, checkName, checkTags } from "./validate.js";

export interface DeadLetterConfig {
  Arn?: string;
}

export interface CreateEventBusInput {
  Name: string;
  /** A partner event source of the caller's account: the bus becomes its partner event bus. */
  EventSourceName?: string;
  Description?: string;
  KmsKeyIdentifier?: string;
  DeadLetterConfig?: DeadLetterConfig;
  Tags?: Array<{ Key: string; Value: string }>;
}

/** An event bus, as DescribeEventBus returns it; times in epoch seconds. */
export interface EventBus {
  Name: string;
  Arn: string;
  Description?: string;
  KmsKeyIdentifier?: string;
  DeadLetterConfig?: DeadLetterConfig;
  Policy?: string;
  CreationTime: number;
  LastModifiedTime: number;
}

type BusRow = {
  account: string;
  name: string;
  description: string | null;
  event_source_name: string | null;
  attributes: string;
  created_at: number;
  updated_at: number;
};

/** Called after a change the rule matchers depend on, so this process reloads the bus at once. */
export type ChangeListener = (account: string, bus: string) => void;

/**
 * Event buses per account. Every account has the bus `default`, created the first time it is
 * needed; custom buses are created by name; a partner event bus is named after, and receives
 * from, a partner event source of its account (creating it activates the source).
 */
export class EventBusService {
  /** Accounts whose default bus is known to exist. */
  private readonly withDefault = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly changed: ChangeListener,
  ) {}

  async create(
    scope: Scope,
    input: CreateEventBusInput,
  ): Promise<{ EventBusArn: string } & Partial<EventBus>> {
    checkName("name", input.Name, { max: 256, pattern: BUS_NAME_PATTERN });
    checkLength("description", input.Description, 512);
    const tags = checkTags(input.Tags);
    if (input.Name === "default") throw new ResourceAlreadyExistsError("Event bus default already exists.");
    if (input.EventSourceName === undefined) {
      if (input.Name.includes("/")) throw new ValidationError("Event bus name must not contain '/'.");
      if (input.Name.startsWith("aws.")) {
        throw new ValidationError(
          "Event bus name must not start with 'aws.': that prefix is for partner event buses.",
        );
      }
    } else if (input.EventSourceName !== input.Name) {
      throw new ValidationError(
        `Event bus name ${input.Name} must be the same as the name of its event source ${input.EventSourceName}.`,
      );
    }
    const now = this.clock.now();
    const attributes = {
      ...(input.KmsKeyIdentifier !== undefined ? { KmsKeyIdentifier: input.KmsKeyIdentifier } : {}),
      ...(input.DeadLetterConfig !== undefined ? { DeadLetterConfig: input.DeadLetterConfig } : {}),
    };
    await this.store.transaction(async (trx) => {
      if (await busRow(trx, scope.account, input.Name)) {
        throw new ResourceAlreadyExistsError(`Event bus ${input.Name} already exists.`);
      }
      if (input.EventSourceName !== undefined) {
        const source = await trx
          .selectFrom("event_sources")
          .select(["state"])
          .where("name", "=", input.EventSourceName)
          .where("account", "=", scope.account)
          .executeTakeFirst();
        if (!source || source.state === "DELETED") {
          throw new ResourceNotFoundError(`Event source ${input.EventSourceName} does not exist.`);
        }
        await trx
          .updateTable("event_sources")
          .set({ state: "ACTIVE", updated_at: now })
          .where("name", "=", input.EventSourceName)
          .execute();
      }
      await trx
        .insertInto("event_buses")
        .values({
          account: scope.account,
          name: input.Name,
          description: input.Description ?? null,
          event_source_name: input.EventSourceName ?? null,
          attributes: toJson(attributes),
          tags: toJson(tags),
          revision: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await bumpBus(trx, scope.account, input.Name);
    });
    this.changed(scope.account, input.Name);
    return {
      EventBusArn: busArn(scope, input.Name),
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...attributes,
    };
  }

  /** DescribeEventBus; the default bus when no name is given. */
  async describe(scope: Scope, name = "default"): Promise<EventBus> {
    return toBus(scope, await this.require(scope, name));
  }

  async list(
    scope: Scope,
    input: { NamePrefix?: string; NextToken?: string; Limit?: number },
  ): Promise<EventsPage<EventBus>> {
    await this.ensureDefault(scope.account);
    const rows = await this.store.db
      .selectFrom("event_buses")
      .selectAll()
      .where("account", "=", scope.account)
      .orderBy("name")
      .execute();
    const prefix = input.NamePrefix ?? "";
    return page(
      rows.filter((r) => r.name.startsWith(prefix)).map((r) => toBus(scope, r)),
      input.Limit,
      input.NextToken,
    );
  }

  /** DeleteEventBus: the bus with its rules and targets; deleting a bus that is not there succeeds, as on AWS. */
  async delete(scope: Scope, name: string): Promise<void> {
    checkName("name", name, { max: 256, pattern: BUS_NAME_PATTERN });
    if (name === "default") throw new ValidationError("Cannot delete event bus default.");
    const deleted = await this.store.transaction(async (trx) => {
      if (!(await busRow(trx, scope.account, name))) return false;
      await bumpBus(trx, scope.account, name);
      for (const table of ["event_targets", "event_rules"] as const) {
        await trx
          .deleteFrom(table)
          .where("account", "=", scope.account)
          .where("bus_name", "=", name)
          .execute();
      }
      await trx
        .deleteFrom("event_buses")
        .where("account", "=", scope.account)
        .where("name", "=", name)
        .execute();
      return true;
    });
    if (deleted) this.changed(scope.account, name);
  }

  /** The bus row, or ResourceNotFoundException; the default bus is created on first need. */
  async require(scope: Scope, name: string, db: Tx = this.store.db): Promise<BusRow> {
    if (name === "default") await this.ensureDefault(scope.account, db);
    const row = await busRow(db, scope.account, name);
    if (!row) throw new ResourceNotFoundError(`Event bus ${name} does not exist.`);
    return row;
  }

  /** Creates the account's default bus if it has none (in the caller's transaction when given one). */
  async ensureDefault(account: string, db: Tx = this.store.db): Promise<void> {
    if (this.withDefault.has(account)) return;
    const now = this.clock.now();
    await db
      .insertInto("event_buses")
      .values({
        account,
        name: "default",
        description: null,
        event_source_name: null,
        attributes: "{}",
        tags: "{}",
        revision: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(["account", "name"]).doNothing())
      .execute();
    // Inside a transaction the row may still roll back: remember it only once it is committed.
    if (db === this.store.db) this.withDefault.add(account);
  }
}

export async function busRow(db: Tx, account: string, name: string): Promise<BusRow | undefined> {
  return db
    .selectFrom("event_buses")
    .selectAll()
    .where("account", "=", account)
    .where("name", "=", name)
    .executeTakeFirst();
}

function toBus(scope: Scope, row: BusRow): EventBus {
  const attributes = fromJson<Pick<EventBus, "KmsKeyIdentifier" | "DeadLetterConfig" | "Policy">>(
    row.attributes,
    {},
  );
  return {
    Name: row.name,
    Arn: busArn(scope, row.name),
    ...(row.description !== null ? { Description: row.description } : {}),
    ...attributes,
    CreationTime: row.created_at / 1000,
    LastModifiedTime: row.updated_at / 1000,
  };
}
