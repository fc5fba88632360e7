import type { Clock } from "../core/clock.js";
import { BadRequestError, ConflictError, LimitExceededError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { isUniqueViolation, type Store } from "../store/index.js";
import type { RegistrationMode } from "./config.js";
import type { Mailer } from "./mailer.js";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./passwords.js";
import { hashSecret, newSecret } from "./tokens.js";

/** A developer's account, without its password hash. */
export interface Developer {
  id: string;
  email: string;
  name: string;
  status: DeveloperStatus;
  emailVerified: boolean;
  /** Epoch seconds. */
  createdDate: number;
}

export type DeveloperStatus = "PENDING" | "ACTIVE" | "REFUSED" | "DISABLED";

/** A pending invitation, without its token. */
export interface Invitation {
  id: string;
  email: string;
  tenantId?: string;
  role: "owner" | "member";
  invitedBy: string;
  createdDate: number;
  expiresDate: number;
  accepted: boolean;
}

export interface RegisterInput {
  email: string;
  name: string;
  password: string;
  /** The token of an invitation link (required in invite-only mode). */
  invitation?: string;
}

/** Sign-in throttling: at most this many failures per window, per email and per client address. */
export const LOGIN_FAILURES_PER_EMAIL = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
const VERIFY_TTL_MS = 48 * 3600 * 1000;
const RESET_TTL_MS = 3600 * 1000;
const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 200;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/** Why a sign-in was refused; the message is safe to show (it never says whether the email exists). */
export class SignInRefused extends BadRequestError {}

/**
 * Developers' accounts: registration in the provider's mode, email verification and password
 * reset by one-use links (stored hashed), sign-in with throttling, approval of requested
 * accounts, and invitations.
 */
export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly options: {
      readonly publicUrl: string;
      readonly registration: RegistrationMode;
      readonly title: string;
    },
  ) {}

  get registration(): RegistrationMode {
    return this.options.registration;
  }

  /**
   * Registers a developer and mails a verification link. In `request` mode the account waits
   * for an admin's approval; in `invite` mode an invitation for the same email is required.
   * An email already registered gets a notice by mail instead, and the answer is the same, so
   * the form does not tell who has an account.
   */
  async register(input: RegisterInput): Promise<void> {
    const email = normalizeEmail(input.email);
    const name = input.name.trim();
    if (!name || name.length > 100) throw new BadRequestError("Enter your name (at most 100 characters).");
    checkPassword(input.password);
    const now = this.clock.now();
    const invitation = input.invitation ? await this.openInvitation(input.invitation) : undefined;
    if (invitation && invitation.email !== email) {
      throw new BadRequestError("This invitation is for another email address.");
    }
    if (this.options.registration === "invite" && !invitation) {
      throw new BadRequestError("Registration is by invitation only: use the link of your invitation.");
    }
    const existing = await this.store.db
      .selectFrom("portal_users")
      .select("id")
      .where("email", "=", email)
      .executeTakeFirst();
    if (existing) {
      await this.mailer.send({
        to: email,
        subject: `${this.options.title}: you already have an account`,
        text: `Someone tried to register with this address. If it was you, sign in or reset your password:\n${this.options.publicUrl}/reset\n`,
      });
      return;
    }
    const id = newId();
    const status: DeveloperStatus =
      this.options.registration === "request" && !invitation ? "PENDING" : "ACTIVE";
    const passwordHash = await hashPassword(input.password);
    const token = newSecret();
    try {
      await this.store.transaction(async (trx) => {
        await trx
          .insertInto("portal_users")
          .values({
            id,
            email,
            name,
            password_hash: passwordHash,
            status,
            // An invitation link proved the address already.
            email_verified_at: invitation ? now : null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        if (invitation) {
          await trx
            .updateTable("portal_invitations")
            .set({ accepted_at: now })
            .where("id", "=", invitation.id)
            .execute();
          if (invitation.tenant_id) {
            await trx
              .insertInto("portal_memberships")
              .values({
                tenant_id: invitation.tenant_id,
                user_id: id,
                role: invitation.role,
                created_at: now,
              })
              .execute();
          }
        } else {
          await trx
            .insertInto("portal_tokens")
            .values({
              token_hash: hashSecret(token),
              user_id: id,
              purpose: "verify",
              created_at: now,
              expires_at: now + VERIFY_TTL_MS,
              used_at: null,
            })
            .execute();
        }
      });
    } catch (error) {
      // Two registrations of one address at once: the second is the "already registered" case.
      if (isUniqueViolation(error)) return;
      throw error;
    }
    if (!invitation) {
      await this.mailer.send({
        to: email,
        subject: `${this.options.title}: confirm your email address`,
        text: `Confirm your email address to finish registering:\n${this.options.publicUrl}/verify?token=${token}\n\nThe link works for 48 hours.\n`,
      });
    }
  }

  /** Confirms an email address with the token of a verification link. */
  async verify(token: string): Promise<Developer> {
    const row = await this.useToken(token, "verify");
    await this.store.db
      .updateTable("portal_users")
      .set({ email_verified_at: this.clock.now(), updated_at: this.clock.now() })
      .where("id", "=", row.user_id)
      .execute();
    return this.get(row.user_id);
  }

  /**
   * Checks an email and password. Throttled per email and per client address (failures in the
   * last 15 minutes); a wrong password, an unknown email or an unusable account are refused with
   * messages that do not reveal which addresses have accounts.
   */
  async signIn(emailInput: string, password: string, clientAddress: string): Promise<Developer> {
    const email = normalizeEmail(emailInput, false);
    const now = this.clock.now();
    const subjects = [`email:${email}`, `ip:${clientAddress}`];
    await this.checkThrottle(subjects, now);
    const row = await this.store.db
      .selectFrom("portal_users")
      .selectAll()
      .where("email", "=", email)
      .executeTakeFirst();
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (!row || !ok) {
      await this.store.db
        .insertInto("portal_login_failures")
        .values(subjects.map((subject) => ({ subject, at: now })))
        .execute();
      throw new SignInRefused("The email address or the password is wrong.");
    }
    await this.store.db.deleteFrom("portal_login_failures").where("subject", "=", subjects[0]!).execute();
    if (row.email_verified_at === null) {
      throw new SignInRefused("Confirm your email address first: follow the link we sent you.");
    }
    if (row.status === "PENDING")
      throw new SignInRefused("Your account is waiting for the provider's approval.");
    if (row.status !== "ACTIVE") throw new SignInRefused("This account cannot sign in.");
    return toDeveloper(row);
  }

  /** Mails a reset link when the address has an account; answers the same either way. */
  async requestReset(emailInput: string): Promise<void> {
    const email = normalizeEmail(emailInput, false);
    const row = await this.store.db
      .selectFrom("portal_users")
      .select("id")
      .where("email", "=", email)
      .executeTakeFirst();
    if (!row) return;
    const token = newSecret();
    const now = this.clock.now();
    await this.store.db
      .insertInto("portal_tokens")
      .values({
        token_hash: hashSecret(token),
        user_id: row.id,
        purpose: "reset",
        created_at: now,
        expires_at: now + RESET_TTL_MS,
        used_at: null,
      })
      .execute();
    await this.mailer.send({
      to: email,
      subject: `${this.options.title}: reset your password`,
      text: `Choose a new password:\n${this.options.publicUrl}/reset/confirm?token=${token}\n\nThe link works for one hour. If you did not ask for it, ignore this message.\n`,
    });
  }

  /** Whether a reset link's token is still good (for showing the form). */
  async resetTokenValid(token: string): Promise<boolean> {
    const row = await this.tokenRow(token, "reset");
    return row !== undefined;
  }

  /** Sets a new password with a reset link's token; every session of the account ends. */
  async resetPassword(token: string, password: string): Promise<Developer> {
    checkPassword(password);
    const row = await this.useToken(token, "reset");
    const hash = await hashPassword(password);
    const now = this.clock.now();
    await this.store.transaction(async (trx) => {
      const user = await trx
        .selectFrom("portal_users")
        .select(["email", "email_verified_at"])
        .where("id", "=", row.user_id)
        .executeTakeFirstOrThrow();
      // A reset link proves the address too.
      await trx
        .updateTable("portal_users")
        .set({ password_hash: hash, updated_at: now, email_verified_at: user.email_verified_at ?? now })
        .where("id", "=", row.user_id)
        .execute();
      await trx.deleteFrom("portal_sessions").where("user_id", "=", row.user_id).execute();
      await trx.deleteFrom("portal_login_failures").where("subject", "=", `email:${user.email}`).execute();
    });
    return this.get(row.user_id);
  }

  async get(id: string): Promise<Developer> {
    const row = await this.store.db
      .selectFrom("portal_users")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`Invalid developer identifier specified: ${id}`);
    return toDeveloper(row);
  }

  /** Developers, newest first, optionally of one status. */
  async list(filter: { status?: string } = {}): Promise<Developer[]> {
    let query = this.store.db.selectFrom("portal_users").selectAll();
    if (filter.status) query = query.where("status", "=", filter.status);
    return (await query.orderBy("created_at", "desc").orderBy("id").execute()).map(toDeveloper);
  }

  /** Approves a developer waiting in `request` mode (or re-enables a refused or disabled one). */
  async approve(id: string): Promise<Developer> {
    const developer = await this.setStatus(id, "ACTIVE", ["PENDING", "REFUSED", "DISABLED"]);
    await this.mailer.send({
      to: developer.email,
      subject: `${this.options.title}: your account is approved`,
      text: `Your account is approved. Sign in at ${this.options.publicUrl}/sign-in\n`,
    });
    return developer;
  }

  /** Refuses a developer waiting for approval. */
  async refuse(id: string): Promise<Developer> {
    return this.setStatus(id, "REFUSED", ["PENDING"]);
  }

  /** Disables an account: its sessions end and it cannot sign in until approved again. */
  async disable(id: string): Promise<Developer> {
    const developer = await this.setStatus(id, "DISABLED", ["ACTIVE", "PENDING"]);
    await this.store.db.deleteFrom("portal_sessions").where("user_id", "=", id).execute();
    return developer;
  }

  /**
   * Invites an email address: to register (`tenantId` absent: the provider's invitation, which
   * invite-only mode requires) or to join an organization with a role. Mails the link.
   */
  async invite(input: {
    email: string;
    tenantId?: string;
    role?: "owner" | "member";
    invitedBy: string;
    organizationName?: string;
  }): Promise<Invitation> {
    const email = normalizeEmail(input.email);
    const token = newSecret();
    const now = this.clock.now();
    const row = {
      id: newId(),
      token_hash: hashSecret(token),
      email,
      tenant_id: input.tenantId ?? null,
      role: input.role ?? "member",
      invited_by: input.invitedBy,
      created_at: now,
      expires_at: now + INVITATION_TTL_MS,
      accepted_at: null,
    };
    await this.store.db.insertInto("portal_invitations").values(row).execute();
    const what = input.organizationName
      ? `join ${input.organizationName} on ${this.options.title}`
      : `register on ${this.options.title}`;
    await this.mailer.send({
      to: email,
      subject: `${this.options.title}: you are invited`,
      text: `You are invited to ${what}:\n${this.options.publicUrl}/invitations/${token}\n\nThe link works for 7 days.\n`,
    });
    return toInvitation(row);
  }

  async invitations(filter: { tenantId?: string } = {}): Promise<Invitation[]> {
    let query = this.store.db.selectFrom("portal_invitations").selectAll();
    if (filter.tenantId) query = query.where("tenant_id", "=", filter.tenantId);
    return (await query.orderBy("created_at", "desc").execute()).map(toInvitation);
  }

  /** The invitation of a link, when it is open (not accepted, not expired). */
  async invitation(token: string): Promise<(Invitation & { registered: boolean }) | undefined> {
    const row = await this.openInvitation(token).catch(() => undefined);
    if (!row) return undefined;
    const user = await this.store.db
      .selectFrom("portal_users")
      .select("id")
      .where("email", "=", row.email)
      .executeTakeFirst();
    return { ...toInvitation(row), registered: user !== undefined };
  }

  /** Accepts an invitation to an organization for a signed-in developer whose email it names. */
  async acceptInvitation(token: string, userId: string): Promise<{ tenantId: string }> {
    const row = await this.openInvitation(token);
    const user = await this.get(userId);
    if (row.email !== user.email) throw new BadRequestError("This invitation is for another email address.");
    if (!row.tenant_id)
      throw new BadRequestError("This invitation is to register, and you already have an account.");
    const tenantId = row.tenant_id;
    const now = this.clock.now();
    await this.store.transaction(async (trx) => {
      await trx
        .updateTable("portal_invitations")
        .set({ accepted_at: now })
        .where("id", "=", row.id)
        .execute();
      const member = await trx
        .selectFrom("portal_memberships")
        .select("role")
        .where("tenant_id", "=", tenantId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (!member) {
        await trx
          .insertInto("portal_memberships")
          .values({ tenant_id: tenantId, user_id: userId, role: row.role, created_at: now })
          .execute();
      }
    });
    return { tenantId };
  }

  private async openInvitation(token: string) {
    const row = await this.store.db
      .selectFrom("portal_invitations")
      .selectAll()
      .where("token_hash", "=", hashSecret(token))
      .executeTakeFirst();
    if (!row || row.accepted_at !== null || row.expires_at <= this.clock.now()) {
      throw new BadRequestError("This invitation link is not valid any more: ask for a new one.");
    }
    return row;
  }

  private async setStatus(id: string, status: DeveloperStatus, from: DeveloperStatus[]): Promise<Developer> {
    const developer = await this.get(id);
    if (!from.includes(developer.status)) {
      throw new ConflictError(
        `Developer ${id} is ${developer.status}: only ${from.join(" or ")} developers can become ${status}`,
      );
    }
    await this.store.db
      .updateTable("portal_users")
      .set({ status, updated_at: this.clock.now() })
      .where("id", "=", id)
      .execute();
    return { ...developer, status };
  }

  /** The operator's console sign-in shares the throttle: a message while `subjects` are throttled. */
  async adminThrottled(subjects: string[]): Promise<string | undefined> {
    return this.checkThrottle(subjects, this.clock.now()).then(
      () => undefined,
      (error: Error) => error.message,
    );
  }

  /** Records a failed sign-in for each subject. */
  async recordFailure(subjects: string[]): Promise<void> {
    const at = this.clock.now();
    await this.store.db
      .insertInto("portal_login_failures")
      .values(subjects.map((subject) => ({ subject, at })))
      .execute();
  }

  private async checkThrottle(subjects: string[], now: number): Promise<void> {
    const since = now - LOGIN_WINDOW_MS;
    await this.store.db.deleteFrom("portal_login_failures").where("at", "<", since).execute();
    const rows = await this.store.db
      .selectFrom("portal_login_failures")
      .select(["subject", (eb) => eb.fn.countAll<number>().as("n"), (eb) => eb.fn.min("at").as("first")])
      .where("subject", "in", subjects)
      .where("at", ">=", since)
      .groupBy("subject")
      .execute();
    for (const row of rows) {
      const limit = row.subject.startsWith("ip:") ? LOGIN_FAILURES_PER_ADDRESS : LOGIN_FAILURES_PER_EMAIL;
      if (Number(row.n) >= limit) {
        const minutes = Math.max(1, Math.ceil((Number(row.first) + LOGIN_WINDOW_MS - now) / 60_000));
        throw new LimitExceededError(
          `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or reset your password.`,
        );
      }
    }
  }

  private async tokenRow(token: string, purpose: string) {
    const row = await this.store.db
      .selectFrom("portal_tokens")
      .selectAll()
      .where("token_hash", "=", hashSecret(token))
      .where("purpose", "=", purpose)
      .executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= this.clock.now()) return undefined;
    return row;
  }

  private async useToken(token: string, purpose: "verify" | "reset") {
    const row = await this.tokenRow(token, purpose);
    if (!row) {
      throw new BadRequestError(
        purpose === "verify"
          ? "This confirmation link is not valid any more. Sign in to get a new one."
          : "This reset link is not valid any more: ask for a new one.",
      );
    }
    const used = await this.store.db
      .updateTable("portal_tokens")
      .set({ used_at: this.clock.now() })
      .where("token_hash", "=", row.token_hash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    // Two uses at once: only one update finds the token unused.
    if (Number(used.numUpdatedRows) !== 1) throw new BadRequestError("This link was used already.");
    return row;
  }
}

/** Lower-cased and trimmed; `strict` checks the form (sign-in does not, it just fails). */
export function normalizeEmail(input: string, strict = true): string {
  const email = input.trim().toLowerCase();
  if (strict && (!EMAIL.test(email) || email.length > 254)) {
    throw new BadRequestError("Enter a valid email address, like name@example.com.");
  }
  return email;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new BadRequestError(
      `Choose a password of ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
}

type UserRow = {
  id: string;
  email: string;
  name: string;
  status: string;
  email_verified_at: number | null;
  created_at: number;
};

function toDeveloper(row: UserRow): Developer {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.status as DeveloperStatus,
    emailVerified: row.email_verified_at !== null,
    createdDate: Math.floor(row.created_at / 1000),
  };
}

function toInvitation(row: {
  id: string;
  email: string;
  tenant_id: string | null;
  role: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
}): Invitation {
  return {
    id: row.id,
    email: row.email,
    ...(row.tenant_id ? { tenantId: row.tenant_id } : {}),
    role: row.role as "owner" | "member",
    invitedBy: row.invited_by,
    createdDate: Math.floor(row.created_at / 1000),
    expiresDate: Math.floor(row.expires_at / 1000),
    accepted: row.accepted_at !== null,
  };
}
