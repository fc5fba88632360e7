import { type Kysely, sql } from "kysely";

// One migration source for SQLite and PostgreSQL: only types both understand alike.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("description", "text")
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("rest_apis")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("version", "text")
    .addColumn("api_key_source", "text", (c) => c.notNull().defaultTo("HEADER"))
    .addColumn("attributes", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("definition", "text")
    .addColumn("warnings", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("root_resource_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("resources")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("parent_id", "text")
    .addColumn("path_part", "text")
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("methods", "text", (c) => c.notNull().defaultTo("{}"))
    .addUniqueConstraint("resources_api_path", ["rest_api_id", "path"])
    .execute();

  await db.schema
    .createTable("deployments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("description", "text")
    .addColumn("snapshot", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("deployments_api").on("deployments").column("rest_api_id").execute();

  await db.schema
    .createTable("stages")
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("stage_name", "text", (c) => c.notNull())
    .addColumn("deployment_id", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("attributes", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("stages_pk", ["rest_api_id", "stage_name"])
    .execute();

  await db.schema
    .createTable("usage_plans")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("throttle", "text")
    .addColumn("quota", "text")
    .addColumn("api_stages", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("product_code", "text")
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text")
    .addColumn("description", "text")
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("customer_id", "text")
    .addColumn("value_hash", "text", (c) => c.notNull().unique())
    .addColumn("value_sealed", "text", (c) => c.notNull())
    .addColumn("stage_keys", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("api_keys_customer").on("api_keys").column("customer_id").execute();

  await db.schema
    .createTable("usage_plan_keys")
    .addColumn("usage_plan_id", "text", (c) => c.notNull().references("usage_plans.id").onDelete("cascade"))
    .addColumn("key_id", "text", (c) => c.notNull().references("api_keys.id").onDelete("cascade"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_plan_keys_pk", ["usage_plan_id", "key_id"])
    .execute();
  await db.schema.createIndex("usage_plan_keys_key").on("usage_plan_keys").column("key_id").execute();

  await db.schema
    .createTable("domain_names")
    .addColumn("domain_name", "text", (c) => c.primaryKey())
    .addColumn("attributes", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("base_path_mappings")
    .addColumn("domain_name", "text", (c) =>
      c.notNull().references("domain_names.domain_name").onDelete("cascade"),
    )
    .addColumn("base_path", "text", (c) => c.notNull())
    .addColumn("rest_api_id", "text", (c) => c.notNull().references("rest_apis.id").onDelete("cascade"))
    .addColumn("stage", "text")
    .addPrimaryKeyConstraint("base_path_mappings_pk", ["domain_name", "base_path"])
    .execute();

  await db.schema
    .createTable("config_revision")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("revision", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await sql`insert into config_revision (id, revision, updated_at) values (1, 0, 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "config_revision",
    "base_path_mappings",
    "domain_names",
    "usage_plan_keys",
    "api_keys",
    "usage_plans",
    "stages",
    "deployments",
    "resources",
    "rest_apis",
    "tenants",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
