import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { Store, Tx } from "../store/index.js";
import type { AccountService } from "./accounts.js";
import type { BusEvent, Ingest, Prepared } from "./ingest.js";
import { isoSeconds } from "./ingest.js";
import type { EventSourceService } from "./sources.js";

/** The platform events Tollgate publishes, by detail-type. */
export const PLATFORM_EVENT_TYPES = {
  apiKeyCreated: "API Key Created",
  apiKeyDisabled: "API Key Disabled",
  quotaThresholdReached: "Quota Threshold Reached",
  invoiceFinalized: "Invoice Finalized",
} as const;

/** What a part records for the event bus; `detail.tenantId` names the tenant it is about. */
export interface PlatformEventInput {
  /** `tollgate.apikeys`, `tollgate.billing`, `tollgate.metering`. */
  source: string;
  detailType: string;
  detail: Record<string, unknown> & { tenantId?: string };
  resources?: string[];
  /** Epoch ms. */
  time: number;
}

/**
 * Records a platform event in the event outbox, inside the caller's transaction, so the event
 * exists exactly when the change it reports is committed. The outbox publisher puts it on the
 * bus later. Account and region are placeholders the publisher replaces.
 */
export async function recordPlatformEvent(trx: Tx, input: PlatformEventInput): Promise<string> {
  const id = randomUUID();
  const event: BusEvent = {
    version: "0",
    id,
    "detail-type": input.detailType,
    source: input.source,
    account: "000000000000",
    time: isoSeconds(input.time),
    region: "local",
    resources: input.resources ?? [],
    detail: input.detail,
  };
  await trx
    .insertInto("event_outbox")
    .values({
      id,
      source: input.source,
      detail_type: input.detailType,
      event: JSON.stringify(event),
      created_at: input.time,
      published: 0,
      published_at: null,
    })
    .execute();
  return id;
}

/** The name of a tenant's own partner event source: `aws.partner/<partner>/<tenant id>/events`. */
export function tenantSourceName(partnerName: string, tenantId: string): string {
  return `aws.partner/${partnerName}/${tenantId}/events`;
}

/** Outbox rows published per batch. */
const BATCH = 100;

/**
 * Publishes the event outbox. Each platform event goes to the provider's default bus (as the
 * provider's event, so the operator's rules see every tenant's), and, when it is about a
 * tenant (`detail.tenantId`), to that tenant's partner event bus: the tenant's event source
 * `aws.partner/<partner>/<tenant id>/events`, created for the tenant (PENDING) the first time an
 * event concerns it; once the tenant creates the bus of that name, its rules see the event
 * with `source` set to the source's name, as partner events are. Marking a row published and
 * writing its deliveries happen in one transaction, guarded by the row's flag, so each event is
 * published once even with several workers.
 */
export class OutboxPublisher {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ingest: Ingest,
    private readonly accounts: AccountService,
    private readonly sources: EventSourceService,
    private readonly options: { region: string; providerAccountId: string; partnerName: string },
  ) {}

  /** Publishes what is waiting; returns how many outbox rows were published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.store.db
        .selectFrom("event_outbox")
        .select(["id", "event", "created_at"])
        .where("published", "=", 0)
        .orderBy("created_at")
        .orderBy("id")
        .limit(BATCH)
        .execute();
      if (!rows.length) return total;
      for (const row of rows) if (await this.publish(row.id, row.event)) total++;
      if (rows.length < BATCH) return total;
    }
  }

  private async publish(id: string, text: string): Promise<boolean> {
    const original = JSON.parse(text) as BusEvent;
    const provider: BusEvent = {
      ...original,
      account: this.options.providerAccountId,
      region: this.options.region,
    };
    const prepared: Prepared[] = [
      await this.ingest.prepare(this.options.providerAccountId, "default", provider, {
        storageKey: `platform:${id}`,
      }),
    ];
    const tenantId = (original.detail as { tenantId?: unknown } | null)?.tenantId;
    if (typeof tenantId === "string" && tenantId) {
      const tenantBus = await this.tenantBus(tenantId);
      if (tenantBus) {
        const event: BusEvent = {
          ...original,
          id: randomUUID(),
          source: tenantBus.source,
          account: tenantBus.account,
          region: this.options.region,
        };
        prepared.push(
          await this.ingest.prepare(tenantBus.account, tenantBus.bus, event, {
            storageKey: `platform:${id}/${event.id}`,
          }),
        );
      }
    }
    const now = this.clock.now();
    let deliveries = 0;
    const published = await this.store.transaction(async (trx) => {
      const result = await trx
        .updateTable("event_outbox")
        .set({ published: 1, published_at: now })
        .where("id", "=", id)
        .where("published", "=", 0)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      for (const item of prepared) deliveries += (await this.ingest.write(trx, item)).deliveries;
      return true;
    });
    if (deliveries) this.ingest.notify();
    return published;
  }

  /** The tenant's partner bus for platform events, if it has one and its source is active. */
  private async tenantBus(
    tenantId: string,
  ): Promise<{ account: string; bus: string; source: string } | undefined> {
    const tenant = await this.store.db
      .selectFrom("tenants")
      .select("id")
      .where("id", "=", tenantId)
      .executeTakeFirst();
    if (!tenant) return undefined;
    const account = await this.accounts.accountOf(tenantId);
    const source = tenantSourceName(this.options.partnerName, tenantId);
    await this.sources.ensure(source, account);
    const row = await this.store.db
      .selectFrom("event_sources")
      .innerJoin("event_buses", (join) =>
        join
          .onRef("event_buses.event_source_name", "=", "event_sources.name")
          .onRef("event_buses.account", "=", "event_sources.account"),
      )
      .select(["event_buses.name as bus", "event_sources.state"])
      .where("event_sources.name", "=", source)
      .executeTakeFirst();
    if (row?.state !== "ACTIVE") return undefined;
    return { account, bus: row.bus, source };
  }
}
