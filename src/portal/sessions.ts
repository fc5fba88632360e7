import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { hashSecret, newSecret } from "./tokens.js";

/** A browser session: anonymous (forms before sign-in), a developer's, or the operator's. */
export interface Session {
  /** The store's key: the hash of the cookie's secret. */
  idHash: string;
  userId?: string;
  admin: boolean;
  csrfToken: string;
  expiresAt: number;
}

/** Anonymous sessions only carry a CSRF token for the sign-in and sign-up forms. */
const ANONYMOUS_TTL_MS = 2 * 3600 * 1000;

/**
 * Sessions in the store. The cookie holds a random secret and the store only its hash, so a
 * read of the database does not give away live sessions. Signing in always starts a new
 * session (the old id, which an attacker may have planted, is deleted), so fixation fails.
 */
export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** Starts a session; returns it and the secret for the cookie. */
  async create(
    input: { userId?: string; admin?: boolean } = {},
  ): Promise<{ session: Session; secret: string }> {
    const secret = newSecret();
    const now = this.clock.now();
    const authenticated = input.userId !== undefined || input.admin === true;
    const session: Session = {
      idHash: hashSecret(secret),
      ...(input.userId ? { userId: input.userId } : {}),
      admin: input.admin === true,
      csrfToken: newSecret(),
      expiresAt: now + (authenticated ? this.ttlMs : ANONYMOUS_TTL_MS),
    };
    // Now and then, clear out expired sessions.
    if (Math.random() < 0.05)
      await this.store.db.deleteFrom("portal_sessions").where("expires_at", "<=", now).execute();
    await this.store.db
      .insertInto("portal_sessions")
      .values({
        id_hash: session.idHash,
        user_id: session.userId ?? null,
        admin: session.admin ? 1 : 0,
        csrf_token: session.csrfToken,
        created_at: now,
        expires_at: session.expiresAt,
      })
      .execute();
    return { session, secret };
  }

  /** The live session of a cookie's secret, if any. */
  async get(secret: string | undefined): Promise<Session | undefined> {
    if (!secret || secret.length > 100) return undefined;
    const row = await this.store.db
      .selectFrom("portal_sessions")
      .selectAll()
      .where("id_hash", "=", hashSecret(secret))
      .executeTakeFirst();
    if (!row || row.expires_at <= this.clock.now()) return undefined;
    return {
      idHash: row.id_hash,
      ...(row.user_id ? { userId: row.user_id } : {}),
      admin: row.admin === 1,
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
    };
  }

  async destroy(session: Session): Promise<void> {
    await this.store.db.deleteFrom("portal_sessions").where("id_hash", "=", session.idHash).execute();
  }
}
