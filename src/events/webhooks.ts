import { randomUUID } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { newId } from "../core/ids.js";
import type { Store } from "../store/index.js";
import type { AccountService } from "./accounts.js";
import {
  type ApiDestinationService,
  DEFAULT_OVERLAP_SECONDS,
  type WebhookSecretInfo,
} from "./api-destinations.js";
import type { Scope } from "./arns.js";
import type { EventBusService } from "./buses.js";
import type { Delivery, DeliveryAttempt, DeliveryLog, DeliveryStatus } from "./deliveries.js";
import { ResourceNotFoundError, ValidationError } from "./errors.js";
import { type BusEvent, isoSeconds } from "./ingest.js";
import { PLATFORM_EVENT_TYPES, tenantSourceName } from "./platform.js";
import { destinationOf } from "./router.js";
import type { RuleService } from "./rules.js";
import type { EventSourceService } from "./sources.js";

/** A tenant's webhook endpoint: an HTTPS URL that receives the tenant's events of the chosen types, signed. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** The detail-types it receives; empty for every event. */
  eventTypes: string[];
  description?: string;
  enabled: boolean;
  /** Signing secrets, without their values: the current one, and the previous one during an overlap. */
  secrets: WebhookSecretInfo[];
  /** Epoch seconds. */
  createdDate: number;
}

export interface WebhookEndpointInput {
  url: string;
  /** Detail-types to receive (`["Quota Threshold Reached"]`); empty or absent for all. */
  eventTypes?: string[];
  description?: string;
}

/** A delivery to a webhook endpoint, with its attempts when asked for one. */
export type WebhookDelivery = Delivery;

const PREFIX = "webhook-";
/** The detail-type of the event `sendTest` delivers. */
export const TEST_EVENT_TYPE = "Webhook Test";

/**
 * Webhook endpoints for a tenant (an organization in the portal), on top of EventBridge's
 * resources: each endpoint is a rule on the tenant's partner event bus (the one of its event
 * source `aws.partner/<partner>/<tenant id>/events`, which this creates and activates on first
 * use) matching the chosen detail-types, with an API destination target that signs every
 * request (Standard Webhooks). The signing secret is returned once, at creation and at each
 * rotation. Platform events about the tenant and the provider's PutPartnerEvents to the
 * tenant's source reach these endpoints.
 *
 * @example
 *   const { endpoint, secret } = await events.webhooks.create(tenantId, {
 *     url: "https://example.com/hooks", eventTypes: ["Quota Threshold Reached"],
 *   });
 *   await events.webhooks.sendTest(tenantId, endpoint.id);
 *   const page = await events.webhooks.deliveries(tenantId, endpoint.id);
 */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accounts: AccountService,
    private readonly buses: EventBusService,
    private readonly rules: RuleService,
    private readonly destinations: ApiDestinationService,
    private readonly deliveryLog: DeliveryLog,
    private readonly sources: EventSourceService,
    private readonly options: { region: string; partnerName: string },
  ) {}

  /** The event types a tenant can subscribe to (the platform's); any other detail-type works too. */
  eventTypes(): string[] {
    return [...Object.values(PLATFORM_EVENT_TYPES), TEST_EVENT_TYPE];
  }

  /** The tenant's partner event bus name (its event source's name). */
  busName(tenantId: string): string {
    return tenantSourceName(this.options.partnerName, tenantId);
  }

  async create(
    tenantId: string,
    input: WebhookEndpointInput,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const scope = await this.scope(tenantId);
    const bus = await this.ensureBus(scope, tenantId);
    const id = newId();
    const name = `${PREFIX}${id}`;
    const types = checkTypes(input.eventTypes);
    await this.destinations.create(
      scope,
      {
        Name: name,
        InvocationEndpoint: checkUrl(input.url),
        HttpMethod: "POST",
        Description: input.description,
      },
      { withoutConnection: true },
    );
    try {
      const { Secret } = await this.destinations.rotateSecret(scope, name, 0);
      await this.rules.put(scope, {
        Name: name,
        EventBusName: bus,
        EventPattern: pattern(scope, types),
        ...(input.description !== undefined ? { Description: input.description } : {}),
      });
      const arn = (await this.destinations.describe(scope, name)).ApiDestinationArn;
      await this.rules.putTargets(scope, {
        Rule: name,
        EventBusName: bus,
        Targets: [{ Id: "webhook", Arn: arn }],
      });
      return { endpoint: await this.get(tenantId, id), secret: Secret };
    } catch (error) {
      await this.destinations.delete(scope, name).catch(() => {});
      throw error;
    }
  }

  async list(tenantId: string): Promise<WebhookEndpoint[]> {
    const scope = await this.scope(tenantId);
    const bus = this.busName(tenantId);
    const rows = await this.store.db
      .selectFrom("event_rules")
      .select("name")
      .where("account", "=", scope.account)
      .where("bus_name", "=", bus)
      .where("name", "like", `${PREFIX}%`)
      .orderBy("created_at")
      .execute();
    const out: WebhookEndpoint[] = [];
    for (const r of rows) out.push(await this.get(tenantId, r.name.slice(PREFIX.length)));
    return out;
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpoint> {
    const scope = await this.scope(tenantId);
    const name = this.nameOf(id);
    const bus = this.busName(tenantId);
    const rule = await this.rules.describe(scope, name, bus).catch(() => {
      throw new ResourceNotFoundError(`Webhook endpoint ${id} does not exist.`);
    });
    const destination = await this.destinations.describe(scope, name);
    const types =
      (JSON.parse(rule.EventPattern ?? "{}") as { "detail-type"?: string[] })["detail-type"] ?? [];
    return {
      id,
      url: destination.InvocationEndpoint,
      eventTypes: types,
      ...(rule.Description !== undefined ? { description: rule.Description } : {}),
      enabled: rule.State !== "DISABLED",
      secrets: await this.destinations.listSecrets(scope, name),
      createdDate: Math.floor(destination.CreationTime),
    };
  }

  /** Changes the URL, the event types, the description, or turns the endpoint off and on. */
  async update(
    tenantId: string,
    id: string,
    input: Partial<WebhookEndpointInput> & { enabled?: boolean },
  ): Promise<WebhookEndpoint> {
    const current = await this.get(tenantId, id);
    const scope = await this.scope(tenantId);
    const name = this.nameOf(id);
    const bus = this.busName(tenantId);
    if (input.url !== undefined)
      await this.destinations.update(scope, { Name: name, InvocationEndpoint: checkUrl(input.url) });
    if (input.eventTypes !== undefined || input.description !== undefined || input.enabled !== undefined) {
      const description = input.description ?? current.description;
      await this.rules.put(scope, {
        Name: name,
        EventBusName: bus,
        EventPattern: pattern(scope, checkTypes(input.eventTypes ?? current.eventTypes)),
        State: (input.enabled ?? current.enabled) ? "ENABLED" : "DISABLED",
        ...(description !== undefined ? { Description: description } : {}),
      });
    }
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    const scope = await this.scope(tenantId);
    const name = this.nameOf(id);
    const bus = this.busName(tenantId);
    await this.rules.removeTargets(scope, { Rule: name, EventBusName: bus, Ids: ["webhook"] });
    await this.rules.delete(scope, name, bus);
    await this.destinations.delete(scope, name);
  }

  /** A new signing secret, shown only here; the previous one stays valid for the overlap (24 hours by default). */
  async rotateSecret(
    tenantId: string,
    id: string,
    options: { overlapSeconds?: number } = {},
  ): Promise<{ secret: string; secrets: WebhookSecretInfo[] }> {
    await this.get(tenantId, id);
    const scope = await this.scope(tenantId);
    const rotated = await this.destinations.rotateSecret(
      scope,
      this.nameOf(id),
      options.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS,
    );
    return { secret: rotated.Secret, secrets: rotated.Secrets };
  }

  /** Delivers a test event (detail-type "Webhook Test") to this endpoint only; returns its delivery. */
  async sendTest(tenantId: string, id: string): Promise<{ deliveryId: string; eventId: string }> {
    await this.get(tenantId, id);
    const scope = await this.scope(tenantId);
    const bus = this.busName(tenantId);
    const event: BusEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": TEST_EVENT_TYPE,
      source: bus,
      account: scope.account,
      time: isoSeconds(this.clock.now()),
      region: this.options.region,
      resources: [],
      detail: {
        message: "A test event from Tollgate: your endpoint is reachable and verifies signatures.",
        endpointId: id,
      },
    };
    const key = `test:${event.id}`;
    await this.store.db
      .insertInto("events")
      .values({
        id: key,
        account: scope.account,
        bus_name: bus,
        event: JSON.stringify(event),
        received_at: this.clock.now(),
      })
      .execute();
    const deliveryId = await this.deliveryLog.enqueue(
      scope.account,
      bus,
      this.nameOf(id),
      "webhook",
      key,
      destinationOf(scope.account, { kind: "api-destination", name: this.nameOf(id) }),
    );
    return { deliveryId, eventId: event.id };
  }

  /** The endpoint's deliveries, newest first, with each one's status, attempts and last response. */
  async deliveries(
    tenantId: string,
    id: string,
    filter: { status?: DeliveryStatus; nextToken?: string; limit?: number } = {},
  ): Promise<{ items: WebhookDelivery[]; nextToken?: string }> {
    await this.get(tenantId, id);
    const scope = await this.scope(tenantId);
    return this.deliveryLog.list(scope, {
      EventBusName: this.busName(tenantId),
      Rule: this.nameOf(id),
      ...(filter.status ? { Status: filter.status } : {}),
      ...(filter.nextToken ? { NextToken: filter.nextToken } : {}),
      ...(filter.limit ? { Limit: filter.limit } : {}),
    });
  }

  /** One delivery with every attempt (status code, latency, error) and the event it carried. */
  async delivery(
    tenantId: string,
    deliveryId: string,
  ): Promise<{ Delivery: Delivery; Attempts: DeliveryAttempt[]; Event: string }> {
    return this.deliveryLog.describe(await this.scope(tenantId), deliveryId);
  }

  /** Sends a delivery's event to its endpoint again, as a new delivery. */
  async replay(tenantId: string, deliveryId: string): Promise<{ deliveryId: string }> {
    const { DeliveryId } = await this.deliveryLog.replay(await this.scope(tenantId), deliveryId);
    return { deliveryId: DeliveryId };
  }

  private async scope(tenantId: string): Promise<Scope> {
    return { account: await this.accounts.accountOf(tenantId), region: this.options.region };
  }

  /** The tenant's event source (created if needed, activated) and its partner bus. */
  private async ensureBus(scope: Scope, tenantId: string): Promise<string> {
    const name = this.busName(tenantId);
    await this.sources.ensure(name, scope.account, { activate: true });
    try {
      await this.buses.create(scope, { Name: name, EventSourceName: name });
    } catch (error) {
      if ((error as { code?: string }).code !== "ResourceAlreadyExistsException") throw error;
    }
    return name;
  }

  private nameOf(id: string): string {
    if (!/^[a-z0-9]{1,40}$/.test(id))
      throw new ResourceNotFoundError(`Webhook endpoint ${id} does not exist.`);
    return `${PREFIX}${id}`;
  }
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`Webhook URL ${url} is not a valid URL.`);
  }
  if (parsed.username || parsed.password)
    throw new ValidationError("Webhook URL must not carry credentials.");
  return url;
}

function checkTypes(types: string[] | undefined): string[] {
  const list = [...new Set(types ?? [])];
  if (list.length > 50) throw new ValidationError("A webhook endpoint subscribes to at most 50 event types.");
  for (const t of list) {
    if (!t || t.length > 128)
      throw new ValidationError(`Event type '${t}' is not valid: 1 to 128 characters.`);
  }
  return list;
}

/** The endpoint's rule pattern: the chosen detail-types, or every event of the account. */
function pattern(scope: Scope, types: string[]): string {
  return JSON.stringify(types.length ? { "detail-type": types } : { account: [scope.account] });
}
