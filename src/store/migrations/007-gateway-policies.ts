import type { Kysely } from "kysely";

/**
 * The gateway's request-side policies (issue 8):
 * - `authorizers`, `request_validators`, `models`: API Gateway's resources of a REST API, frozen
 *   into each deployment's snapshot with the API's methods.
 * - `firewall_ip_sets`, `firewall_rules`, `firewall_ip_rate_limits`: Tollgate's layer-7 rules,
 *   applied by every gateway process to every request.
 * - `tenants.gateway_access`: a tenant's block and its allowed and denied API resources.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("tenants").addColumn("gateway_access", "text").execute();

  await db.schema
    .createTable("authorizers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("attributes", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("authorizers_name", ["rest_api_id", "name"])
    .execute();

  await db.schema
    .createTable("request_validators")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("validate_body", "integer", (c) => c.notNull())
    .addColumn("validate_parameters", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("request_validators_name", ["rest_api_id", "name"])
    .execute();

  await db.schema
    .createTable("models")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("schema", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("models_name", ["rest_api_id", "name"])
    .execute();

  for (const table of ["firewall_ip_sets", "firewall_rules", "firewall_ip_rate_limits"]) {
    await db.schema
      .createTable(table)
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("attributes", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "firewall_ip_rate_limits",
    "firewall_rules",
    "firewall_ip_sets",
    "models",
    "request_validators",
    "authorizers",
  ])
    await db.schema.dropTable(table).execute();
  await db.schema.alterTable("tenants").dropColumn("gateway_access").execute();
}
