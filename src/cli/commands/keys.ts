import type { Command } from "commander";
import { type Column, date, print, say } from "../output.js";
import type { ApiKey, Tenant, UsagePlan } from "../shapes.js";
import { byIdOrName, type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

/** Key columns; the tenant's name when the caller knows the tenants. */
function keyColumns(tenantName: (id: string) => string | undefined = () => undefined): Column<ApiKey>[] {
  return [
    { header: "ID", value: (k) => k.id },
    { header: "NAME", value: (k) => k.name },
    { header: "TENANT", value: (k) => (k.customerId ? (tenantName(k.customerId) ?? k.customerId) : "") },
    { header: "ENABLED", value: (k) => k.enabled },
    { header: "CREATED", value: (k) => date(k.createdDate) },
  ];
}

interface CreateKeyFlags extends ClientCommandFlags {
  tenant: string;
  plan: string;
  name?: string;
  description?: string;
  value?: string;
}

/** `tollgate keys`: API keys, each owned by a tenant and on a usage plan. */
export function keysCommand(program: Command): void {
  const keys = program
    .command("keys")
    .description("API keys: create (on a plan, for a tenant), list, disable");

  clientCommand(keys, "create", "create an enabled key for a tenant and put it on a usage plan")
    .requiredOption("--tenant <idOrName>", "the tenant that owns the key")
    .requiredOption("--plan <idOrName>", "the usage plan the key is on")
    .option("--name <name>", "key name (default: <tenant>-<plan>)")
    .option("--description <text>", "key description")
    .option("--value <value>", "the key value, 20 to 128 characters (default: generated)")
    .action(async (flags: CreateKeyFlags) => {
      const admin = clientFrom(flags);
      const [tenants, plans] = await Promise.all([
        admin.listAll<Tenant>("/tenants"),
        admin.listAll<UsagePlan>("/usageplans"),
      ]);
      const tenant = byIdOrName(tenants, flags.tenant, "tenant");
      const plan = byIdOrName(plans, flags.plan, "usage plan");
      const key = await admin.request<ApiKey>("POST", "/apikeys", {
        body: {
          name: flags.name ?? `${tenant.name}-${plan.name}`,
          description: flags.description,
          enabled: true,
          customerId: tenant.id,
          value: flags.value,
        },
      });
      try {
        await admin.request("POST", `/usageplans/${plan.id}/keys`, {
          body: { keyId: key.id, keyType: "API_KEY" },
        });
      } catch (error) {
        // A key on no plan is of no use: take it back so the command either does all or nothing.
        await admin.request("DELETE", `/apikeys/${key.id}`).catch(() => undefined);
        throw error;
      }
      const created = { ...key, usagePlanId: plan.id };
      print(
        created,
        [
          { header: "ID", value: (k) => k.id },
          { header: "NAME", value: (k) => k.name },
          { header: "TENANT", value: () => tenant.name },
          { header: "PLAN", value: () => plan.name },
          { header: "VALUE", value: (k) => k.value },
        ],
        flags,
      );
      if (!flags.json) say("Give this value to the tenant: their client sends it in the x-api-key header.");
    });

  clientCommand(keys, "list", "list API keys (without values)")
    .option("--tenant <idOrName>", "only the keys of this tenant")
    .action(async (flags: ClientCommandFlags & { tenant?: string }) => {
      const admin = clientFrom(flags);
      const tenants = await admin.listAll<Tenant>("/tenants");
      const owner = flags.tenant ? byIdOrName(tenants, flags.tenant, "tenant") : undefined;
      const list = await admin.listAll<ApiKey>("/apikeys", { customerId: owner?.id });
      const names = new Map(tenants.map((t) => [t.id, t.name]));
      print(
        list,
        keyColumns((id) => names.get(id)),
        flags,
      );
    });

  clientCommand(keys, "disable <keyId>", "disable a key: the gateway refuses it from then on").action(
    async (keyId: string, flags: ClientCommandFlags) => {
      const key = await clientFrom(flags).request<ApiKey>("PATCH", `/apikeys/${encodeURIComponent(keyId)}`, {
        body: { patchOperations: [{ op: "replace", path: "/enabled", value: "false" }] },
      });
      print(key, keyColumns(), flags);
    },
  );
}
