import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.js";
import type { ApiKey, ApiKeyService, RotatedApiKey } from "../plans/index.js";
import type { SubscriptionDesk } from "./subscriptions.js";

export type KeyState = "active" | "expiring" | "expired" | "disabled";

/** A key of an organization as its developers see it: never its value after creation. */
export interface OrgKey {
  id: string;
  name: string;
  state: KeyState;
  /** Epoch seconds. */
  createdDate: number;
  expiresDate?: number;
}

/** Grace periods a developer can pick when rotating, in seconds. */
export const GRACE_CHOICES: Array<{ seconds: number; label: string }> = [
  { seconds: 0, label: "none: the old key stops now" },
  { seconds: 300, label: "5 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "24 hours" },
  { seconds: 7 * 86_400, label: "7 days" },
  { seconds: 30 * 86_400, label: "30 days" },
];

/**
 * An organization's API keys: several, named; created on the organization's current plan;
 * rotated with a grace period (the old key works until it ends); revoked. Every call names the
 * organization and a key of another one is a NotFoundError.
 */
export class OrgKeyService {
  constructor(
    private readonly clock: Clock,
    private readonly apiKeys: ApiKeyService,
    private readonly subscriptions: SubscriptionDesk,
  ) {}

  async list(tenantId: string): Promise<OrgKey[]> {
    const keys = await this.apiKeys.list({ customerId: tenantId });
    return keys
      .map((k) => this.toOrgKey(k))
      .sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name));
  }

  /** Creates a key, enabled, on the organization's plan; the value is in the answer only. */
  async create(tenantId: string, nameInput: string): Promise<{ key: OrgKey; value: string }> {
    const name = nameInput.trim();
    if (!/^[\w .-]{1,64}$/.test(name)) {
      throw new BadRequestError(
        "Name the key with 1 to 64 letters, digits, spaces, dots, dashes or underscores.",
      );
    }
    const live = (await this.list(tenantId)).filter((k) => k.state !== "expired");
    if (live.some((k) => k.name.toLowerCase() === name.toLowerCase())) {
      throw new ConflictError(`Your organization already has a key named '${name}'.`);
    }
    if (live.length >= 20)
      throw new BadRequestError("An organization has at most 20 live keys: revoke one first.");
    const created = await this.apiKeys.create({ name, customerId: tenantId, enabled: true });
    const planId = await this.subscriptions.currentPlanId(tenantId);
    if (planId) await this.apiKeys.addToPlan(planId, { keyId: created.id, keyType: "API_KEY" });
    return { key: this.toOrgKey(created), value: created.value! };
  }

  /** Rotates a key: a new value now, the old one valid for `graceSeconds` more. */
  async rotate(
    tenantId: string,
    keyId: string,
    graceSeconds: number,
  ): Promise<{ key: OrgKey; value: string; previous: OrgKey }> {
    if (!GRACE_CHOICES.some((c) => c.seconds === graceSeconds)) {
      throw new BadRequestError("Pick one of the grace periods offered.");
    }
    const key = await this.own(tenantId, keyId);
    if (this.toOrgKey(key).state !== "active") throw new ConflictError("Only an active key can be rotated.");
    const rotated: RotatedApiKey = await this.apiKeys.rotate(keyId, { graceSeconds });
    return {
      key: this.toOrgKey(rotated.key),
      value: rotated.key.value!,
      previous: this.toOrgKey(rotated.previous),
    };
  }

  /** Revokes a key at once, for good. */
  async revoke(tenantId: string, keyId: string): Promise<OrgKey> {
    const key = await this.own(tenantId, keyId);
    if (this.toOrgKey(key).state === "expired") throw new ConflictError("This key no longer works already.");
    return this.toOrgKey(await this.apiKeys.revoke(keyId));
  }

  /** The key, when it belongs to the organization. */
  async own(tenantId: string, keyId: string): Promise<ApiKey> {
    const key = await this.apiKeys.get(keyId).catch(() => undefined);
    if (!key || key.customerId !== tenantId) throw new NotFoundError("No such key");
    return key;
  }

  private toOrgKey(key: ApiKey): OrgKey {
    const now = this.clock.now();
    const expires = key.expiresDate !== undefined ? key.expiresDate * 1000 : undefined;
    const state: KeyState =
      expires !== undefined && expires <= now
        ? "expired"
        : !key.enabled
          ? "disabled"
          : expires !== undefined
            ? "expiring"
            : "active";
    return {
      id: key.id,
      name: key.name ?? key.id,
      state,
      createdDate: key.createdDate,
      ...(key.expiresDate !== undefined ? { expiresDate: key.expiresDate } : {}),
    };
  }
}

function rank(state: KeyState): number {
  return { active: 0, expiring: 1, disabled: 2, expired: 3 }[state];
}
