import { join } from "node:path";
import type { Command } from "commander";
import type { Role, Settings, Tollgate } from "../../server/index.js";
import { CliError } from "../client.js";
import { say } from "../output.js";

interface ServeFlags {
  dataDir?: string;
  adminPort?: string;
  gatewayPort?: string;
  portalPort?: string;
  host?: string;
  role?: string;
  /** False with --no-quickstart; true (commander's default) otherwise. */
  quickstart: boolean;
}

/** `tollgate serve`: runs Tollgate in this process until SIGINT or SIGTERM. */
export function serveCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "run Tollgate: the gateway, the admin API, the background work and the portal (or some, with --role)",
    )
    .option(
      "--data-dir <dir>",
      "where the SQLite file and credentials.json live (env TOLLGATE_DATA_DIR; default .tollgate)",
    )
    .option("--admin-port <port>", "admin API port (env TOLLGATE_ADMIN_PORT; default 8081)")
    .option("--gateway-port <port>", "gateway port (env TOLLGATE_GATEWAY_PORT; default 8080)")
    .option("--portal-port <port>", "developer portal port (env TOLLGATE_PORTAL_PORT; default 8082)")
    .option("--host <host>", "interface to listen on (env TOLLGATE_HOST; default 127.0.0.1)")
    .option("--no-quickstart", "do not seed the example API, plans and keys into an empty store")
    .option(
      "--role <roles>",
      "the parts this process runs, comma-separated: gateway, admin, worker, portal (env TOLLGATE_ROLE; default all)",
    )
    .action(async (flags: ServeFlags) => {
      // Loaded here so that client commands do not load the server.
      const { localUrl, quickstartBanner, resolveSettings, startTollgate } = await import(
        "../../server/index.js"
      );
      const settings = settingsOrExit(() =>
        resolveSettings({
          dataDir: flags.dataDir,
          adminPort: flags.adminPort,
          gatewayPort: flags.gatewayPort,
          portalPort: flags.portalPort,
          host: flags.host,
          role: flags.role,
          // Without the flag, TOLLGATE_QUICKSTART decides.
          quickstart: flags.quickstart === false ? false : undefined,
        }),
      );
      const tollgate = await startTollgate(settings);
      say(...startBanner(tollgate, settings, localUrl));
      if (tollgate.quickstart) {
        say(
          "",
          ...quickstartBanner(tollgate.quickstart, {
            adminUrl: tollgate.adminUrl,
            gatewayUrl: tollgate.gatewayUrl,
            adminToken: tollgate.credentials.adminToken,
          }),
        );
      }
      stopOnSignals(tollgate);
    });
}

/** Settings errors (a bad port, a bad variable) are the user's to fix: no stack trace. */
function settingsOrExit(resolve: () => Settings): Settings {
  try {
    return resolve();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** Where Tollgate listens and how to authenticate; the secrets only when just generated. */
function startBanner(tollgate: Tollgate, settings: Settings, localUrl: (url: string) => string): string[] {
  const adminUrl = localUrl(tollgate.adminUrl);
  const credentialsFile = join(settings.dataDir, "credentials.json");
  const runs = (role: Role) => tollgate.roles.has(role);
  const lines = [
    runs("admin") && runs("gateway") && runs("worker") && runs("portal")
      ? "Tollgate is running."
      : `Tollgate is running: ${[...tollgate.roles].join(", ")}.`,
    runs("admin")
      ? `  Admin API   ${adminUrl}  (Amazon API Gateway's REST control plane)`
      : `  Probes      ${adminUrl}  (/health, /ready, /metrics)`,
    ...(runs("gateway")
      ? [`  Gateway     ${localUrl(tollgate.gatewayUrl)}  (/{stage}/{path}, with the x-api-key header)`]
      : []),
    ...(runs("portal")
      ? [`  Portal      ${localUrl(tollgate.portalUrl)}  (developer portal; admin console at /admin)`]
      : []),
    `  Store       ${settings.databaseUrl ? "PostgreSQL (TOLLGATE_DATABASE_URL)" : `SQLite in ${settings.dataDir}`}`,
    "",
  ];
  if (!tollgate.generatedCredentials) {
    return [
      ...lines,
      `Admin credentials: ${credentialsFile} (TOLLGATE_ADMIN_TOKEN, TOLLGATE_ACCESS_KEY_ID and TOLLGATE_SECRET_ACCESS_KEY override it).`,
    ];
  }
  const { adminToken, accessKeyId, secretAccessKey } = tollgate.credentials;
  return [
    ...lines,
    `Admin credentials were generated and saved to ${credentialsFile} (mode 600).`,
    "They are printed only this once:",
    `  Admin token         ${adminToken}`,
    `  Access key id       ${accessKeyId}`,
    `  Secret access key   ${secretAccessKey}`,
    "",
    "Use the AWS CLI (SigV4):",
    `  aws configure set aws_access_key_id ${accessKeyId} --profile tollgate`,
    `  aws configure set aws_secret_access_key ${secretAccessKey} --profile tollgate`,
    "  aws configure set region us-east-1 --profile tollgate",
    `  aws apigateway get-rest-apis --endpoint-url ${adminUrl} --profile tollgate`,
    "or curl (bearer token):",
    `  curl -s -H "Authorization: Bearer ${adminToken}" ${adminUrl}/restapis`,
  ];
}

/** Closes the servers and the store on SIGINT/SIGTERM; a second signal exits at once. */
function stopOnSignals(tollgate: Tollgate): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down...\n`);
    tollgate.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Error while shutting down: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
