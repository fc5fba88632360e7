import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { NotFoundError } from "../core/errors.js";
import { newToken } from "../core/ids.js";
import type { SecretBox } from "../core/secrets.js";
import { isUniqueViolation, type Store, type Tx } from "../store/index.js";

/** A tenant's credentials as issued: the secret parts appear only in this answer. */
export interface IssuedCredentials {
  tenantId: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** For `Authorization: Bearer <token>`. */
  token: string;
  description?: string;
  /** Epoch seconds. */
  createdDate: number;
}

/** A tenant's credentials as listed: no secrets. */
export interface CredentialsSummary {
  accessKeyId: string;
  description?: string;
  createdDate: number;
}

/** Who a verified admin request comes from. */
export interface TenantIdentity {
  tenantId: string;
  accountId: string;
}

const ACCOUNT_SPACE = 10n ** 12n;

/**
 * Tenants are accounts. Each tenant gets a 12-digit account id on first use: the SHA-256 of its
 * tenant id modulo 10^12 (so the same tenant gets the same id in every installation), moved up
 * by one while it collides with the provider's or another tenant's; the table keeps the mapping.
 * Credentials per tenant: a SigV4 key pair (secret sealed, since verifying a signature needs it)
 * and a bearer token (only its keyed hash is stored).
 */
export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    /** The provider's own account id (the operator principal's). */
    readonly providerAccountId: string,
  ) {}

  /** The tenant's account id, assigned now if it has none yet. */
  async accountOf(tenantId: string, db: Tx = this.store.db): Promise<string> {
    const row = await db
      .selectFrom("event_accounts")
      .select("account_id")
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    if (row) return row.account_id;
    await requireTenant(db, tenantId);
    let candidate = BigInt(`0x${createHash("sha256").update(`tollgate:account:${tenantId}`).digest("hex")}`);
    for (let i = 0; i < 100; i++, candidate++) {
      const accountId = (candidate % ACCOUNT_SPACE).toString().padStart(12, "0");
      if (accountId === this.providerAccountId) continue;
      try {
        await db
          .insertInto("event_accounts")
          .values({ tenant_id: tenantId, account_id: accountId, created_at: this.clock.now() })
          .execute();
        return accountId;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Another request assigned this tenant meanwhile, or the id belongs to another tenant.
        const again = await db
          .selectFrom("event_accounts")
          .select("account_id")
          .where("tenant_id", "=", tenantId)
          .executeTakeFirst();
        if (again) return again.account_id;
      }
    }
    throw new Error(`could not assign an account id to tenant ${tenantId}`);
  }

  /** The tenant an account id belongs to; undefined for the provider's and unknown ids. */
  async tenantOf(accountId: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom("event_accounts")
      .select("tenant_id")
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return row?.tenant_id;
  }

  /** Issues a new key pair and token for the tenant; several may be live at once (rotation). */
  async issue(tenantId: string, input: { description?: string } = {}): Promise<IssuedCredentials> {
    await requireTenant(this.store.db, tenantId);
    const accountId = await this.accountOf(tenantId);
    const accessKeyId = `TGT${newToken(24)
      .replace(/[^A-Za-z0-9]/g, "")
      .toUpperCase()
      .slice(0, 17)
      .padEnd(17, "X")}`;
    const secretAccessKey = newToken(30);
    const token = `tgt_${newToken(32)}`;
    const now = this.clock.now();
    // The gateway's AWS_IAM methods check signatures with these: a configuration change.
    await this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("tenant_credentials")
        .values({
          access_key_id: accessKeyId,
          tenant_id: tenantId,
          secret_sealed: this.box.seal(secretAccessKey),
          token_hash: this.box.hash(token),
          description: input.description ?? null,
          created_at: now,
        })
        .execute();
      await this.store.bumpRevision(trx);
    });
    return {
      tenantId,
      accountId,
      accessKeyId,
      secretAccessKey,
      token,
      ...(input.description !== undefined ? { description: input.description } : {}),
      createdDate: Math.floor(now / 1000),
    };
  }

  async list(tenantId: string): Promise<CredentialsSummary[]> {
    await requireTenant(this.store.db, tenantId);
    const rows = await this.store.db
      .selectFrom("tenant_credentials")
      .select(["access_key_id", "description", "created_at"])
      .where("tenant_id", "=", tenantId)
      .orderBy("created_at")
      .orderBy("access_key_id")
      .execute();
    return rows.map((r) => ({
      accessKeyId: r.access_key_id,
      ...(r.description !== null ? { description: r.description } : {}),
      createdDate: Math.floor(r.created_at / 1000),
    }));
  }

  /** Revokes one key pair and its token at once. */
  async revoke(tenantId: string, accessKeyId: string): Promise<void> {
    await this.store.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom("tenant_credentials")
        .where("tenant_id", "=", tenantId)
        .where("access_key_id", "=", accessKeyId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) {
        throw new NotFoundError(
          `Invalid credentials identifier specified: ${accessKeyId} (tenant ${tenantId})`,
        );
      }
      await this.store.bumpRevision(trx);
    });
  }

  /** The secret of an access key id, for SigV4; undefined when unknown or its tenant is disabled. */
  async secretOf(accessKeyId: string): Promise<(TenantIdentity & { secretAccessKey: string }) | undefined> {
    const row = await this.store.db
      .selectFrom("tenant_credentials")
      .innerJoin("tenants", "tenants.id", "tenant_credentials.tenant_id")
      .select(["tenant_credentials.tenant_id", "tenant_credentials.secret_sealed", "tenants.enabled"])
      .where("tenant_credentials.access_key_id", "=", accessKeyId)
      .executeTakeFirst();
    if (row?.enabled !== 1) return undefined;
    return {
      tenantId: row.tenant_id,
      accountId: await this.accountOf(row.tenant_id),
      secretAccessKey: this.box.open(row.secret_sealed),
    };
  }

  /** The tenant a bearer token belongs to; undefined when unknown or its tenant is disabled. */
  async tokenOwner(token: string): Promise<TenantIdentity | undefined> {
    if (!token.startsWith("tgt_")) return undefined;
    const row = await this.store.db
      .selectFrom("tenant_credentials")
      .innerJoin("tenants", "tenants.id", "tenant_credentials.tenant_id")
      .select(["tenant_credentials.tenant_id", "tenants.enabled"])
      .where("tenant_credentials.token_hash", "=", this.box.hash(token))
      .executeTakeFirst();
    if (row?.enabled !== 1) return undefined;
    return { tenantId: row.tenant_id, accountId: await this.accountOf(row.tenant_id) };
  }
}

async function requireTenant(db: Tx, tenantId: string): Promise<void> {
  const row = await db.selectFrom("tenants").select("id").where("id", "=", tenantId).executeTakeFirst();
  if (!row) throw new NotFoundError(`Invalid tenant identifier specified: ${tenantId}`);
}
