import type { Command } from "commander";
import { type Column, date, print } from "../output.js";
import { type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

/** A tenant's credentials as `POST /tenants/{id}/credentials` answers them (secrets only then). */
interface Credentials {
  tenantId?: string;
  accountId?: string;
  accessKeyId: string;
  secretAccessKey?: string;
  token?: string;
  description?: string;
  createdDate: number;
}

const ISSUED: Column<Credentials>[] = [
  { header: "TENANT", value: (c) => c.tenantId },
  { header: "ACCOUNT", value: (c) => c.accountId },
  { header: "ACCESS KEY ID", value: (c) => c.accessKeyId },
  { header: "SECRET ACCESS KEY", value: (c) => c.secretAccessKey },
  { header: "TOKEN", value: (c) => c.token },
];
const LISTED: Column<Credentials>[] = [
  { header: "ACCESS KEY ID", value: (c) => c.accessKeyId },
  { header: "DESCRIPTION", value: (c) => c.description },
  { header: "CREATED", value: (c) => date(c.createdDate) },
];

/**
 * `tollgate events`: the event bus's own admin resources. The EventBridge operations themselves
 * are served to the AWS CLI and SDKs (`aws events ... --endpoint-url`).
 */
export function eventsCommand(program: Command): void {
  const events = program
    .command("events")
    .description(
      "the event bus: tenant credentials (the EventBridge API is for `aws events --endpoint-url`)",
    );
  const credentials = events
    .command("credentials")
    .description("a tenant's own credentials for the event bus");

  clientCommand(credentials, "create <tenant-id>", "issue a tenant a key pair and a token (shown only now)")
    .option("--description <text>", "what the credentials are for")
    .action(async (tenantId: string, flags: ClientCommandFlags & { description?: string }) => {
      const issued = await clientFrom(flags).request<Credentials>(
        "POST",
        `/tenants/${tenantId}/credentials`,
        {
          body: { description: flags.description },
        },
      );
      print(issued, ISSUED, flags);
    });

  clientCommand(credentials, "list <tenant-id>", "list a tenant's credentials (no secrets)").action(
    async (tenantId: string, flags: ClientCommandFlags) => {
      const page = await clientFrom(flags).request<{ item: Credentials[] }>(
        "GET",
        `/tenants/${tenantId}/credentials`,
      );
      print(page.item, LISTED, flags);
    },
  );

  clientCommand(credentials, "revoke <tenant-id> <access-key-id>", "revoke a key pair and its token", {
    json: false,
  }).action(async (tenantId: string, accessKeyId: string, flags: ClientCommandFlags) => {
    await clientFrom(flags).request("DELETE", `/tenants/${tenantId}/credentials/${accessKeyId}`);
  });
}
