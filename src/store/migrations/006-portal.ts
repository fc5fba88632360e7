import type { Kysely } from "kysely";

/**
 * The developer portal:
 * - `portal_users`: developers' accounts (email unique, scrypt password hash, status).
 * - `portal_memberships`: which developer belongs to which organization (a tenant), as owner or member.
 * - `portal_invitations`: invitations to register (invite-only mode) or to join an organization.
 * - `portal_tokens`: one-use email verification and password reset tokens (hashed).
 * - `portal_sessions`: browser sessions (the cookie holds a secret, the table its hash) with their CSRF token.
 * - `portal_login_failures`: failed sign-ins, for throttling.
 * - `portal_mail`: what the embedded mailer sent, for the admin console.
 * - `portal_catalog`, `portal_documents`, `portal_plans`: what the catalog shows.
 * - `portal_subscription_requests`: subscriptions waiting for the provider's approval.
 * - `api_keys.expires_at`: when a rotated-out or revoked key stops working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("api_keys").addColumn("expires_at", "bigint").execute();

  await db.schema
    .createTable("portal_users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("email_verified_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("portal_memberships")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("portal_users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("portal_memberships_pk", ["tenant_id", "user_id"])
    .execute();
  await db.schema.createIndex("portal_memberships_user").on("portal_memberships").column("user_id").execute();

  await db.schema
    .createTable("portal_invitations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.references("tenants.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("invited_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("accepted_at", "bigint")
    .execute();

  await db.schema
    .createTable("portal_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("portal_users.id").onDelete("cascade"))
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();

  await db.schema
    .createTable("portal_sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.references("portal_users.id").onDelete("cascade"))
    .addColumn("admin", "integer", (c) => c.notNull())
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("portal_login_failures")
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("portal_login_failures_subject")
    .on("portal_login_failures")
    .columns(["subject", "at"])
    .execute();

  await db.schema
    .createTable("portal_mail")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("to_address", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  // stage_name "" is the API itself: an API shows when it and at least one of its stages are published.
  await db.schema
    .createTable("portal_catalog")
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("stage_name", "text", (c) => c.notNull())
    .addColumn("published", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("portal_catalog_pk", ["rest_api_id", "stage_name"])
    .execute();

  await db.schema
    .createTable("portal_documents")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("document", "text", (c) => c.notNull())
    .addColumn("published", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("portal_plans")
    .addColumn("usage_plan_id", "text", (c) =>
      c.primaryKey().references("usage_plans.id").onDelete("cascade"),
    )
    .addColumn("visible", "integer", (c) => c.notNull())
    .addColumn("approval_required", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("portal_subscription_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("usage_plan_id", "text", (c) => c.notNull().references("usage_plans.id").onDelete("cascade"))
    .addColumn("requested_by", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("decided_at", "bigint")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "portal_subscription_requests",
    "portal_plans",
    "portal_documents",
    "portal_catalog",
    "portal_mail",
    "portal_login_failures",
    "portal_sessions",
    "portal_tokens",
    "portal_invitations",
    "portal_memberships",
    "portal_users",
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable("api_keys").dropColumn("expires_at").execute();
}
