import type { Command } from "commander";
import { type Column, date, print } from "../output.js";
import type { Tenant } from "../shapes.js";
import { type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

const TENANT_COLUMNS: Column<Tenant>[] = [
  { header: "ID", value: (t) => t.id },
  { header: "NAME", value: (t) => t.name },
  { header: "DESCRIPTION", value: (t) => t.description },
  { header: "ENABLED", value: (t) => t.enabled },
  { header: "BLOCKED", value: (t) => t.blocked },
  { header: "CREATED", value: (t) => date(t.createdDate) },
];

/** `tollgate tenants`: the provider's customers, who own API keys. */
export function tenantsCommand(program: Command): void {
  const tenants = program.command("tenants").description("tenants: the customers that own API keys");

  clientCommand(tenants, "create <name>", "create a tenant")
    .option("--description <text>", "tenant description")
    .action(async (name: string, flags: ClientCommandFlags & { description?: string }) => {
      const tenant = await clientFrom(flags).request<Tenant>("POST", "/tenants", {
        body: { name, description: flags.description },
      });
      print(tenant, TENANT_COLUMNS, flags);
    });

  clientCommand(tenants, "list", "list tenants").action(async (flags: ClientCommandFlags) => {
    print(await clientFrom(flags).listAll<Tenant>("/tenants"), TENANT_COLUMNS, flags);
  });

  // A block reaches every gateway process within a second: each of the tenant's requests gets 403.
  clientCommand(tenants, "block <id>", "block a tenant at the gateway (every request gets 403)")
    .option("--reason <text>", "shown in the 403")
    .action(async (id: string, flags: ClientCommandFlags & { reason?: string }) => {
      const patchOperations = [{ op: "replace", path: "/blocked", value: "true" }];
      if (flags.reason) patchOperations.push({ op: "replace", path: "/blockReason", value: flags.reason });
      const tenant = await clientFrom(flags).request<Tenant>("PATCH", `/tenants/${id}`, {
        body: { patchOperations },
      });
      print(tenant, TENANT_COLUMNS, flags);
    });

  clientCommand(tenants, "unblock <id>", "lift a tenant's block").action(
    async (id: string, flags: ClientCommandFlags) => {
      const tenant = await clientFrom(flags).request<Tenant>("PATCH", `/tenants/${id}`, {
        body: { patchOperations: [{ op: "replace", path: "/blocked", value: "false" }] },
      });
      print(tenant, TENANT_COLUMNS, flags);
    },
  );
}
