import type { Command } from "commander";
// Only the server's settings and credentials, not its index: client commands stay light.
import { readAdminToken } from "../../server/credentials.js";
import { resolveSettings } from "../../server/settings.js";
import { AdminClient, CliError, DEFAULT_ENDPOINT } from "../client.js";
import type { OutputFlags } from "../output.js";

/** Options every client command accepts. */
export interface ClientFlags {
  endpoint?: string;
  dataDir?: string;
}

/**
 * A client for the admin API named by `--endpoint` or TOLLGATE_ENDPOINT, authenticated by
 * TOLLGATE_ADMIN_TOKEN or the token in `<data dir>/credentials.json` that `tollgate serve` wrote.
 */
export function clientFrom(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const endpoint = flags.endpoint ?? env.TOLLGATE_ENDPOINT ?? DEFAULT_ENDPOINT;
  try {
    new URL(endpoint);
  } catch {
    throw new CliError(`Invalid endpoint '${endpoint}': expected a URL like ${DEFAULT_ENDPOINT}`);
  }
  const dataDir = resolveSettings({ dataDir: flags.dataDir }, env).dataDir;
  const token = readAdminToken(dataDir, env);
  if (!token) {
    throw new CliError(
      `No admin token: set TOLLGATE_ADMIN_TOKEN, or point --data-dir (TOLLGATE_DATA_DIR) at the data directory of \`tollgate serve\` (no credentials.json in ${dataDir}).`,
    );
  }
  return new AdminClient(endpoint, token);
}

/** Flags of every command that calls the admin API. */
export type ClientCommandFlags = ClientFlags & OutputFlags;

/**
 * Declares a subcommand that talks to the admin API, with the options they all share:
 * `--endpoint`, `--data-dir` (to find the admin token) and, unless `json` is false, `--json`.
 */
export function clientCommand(
  parent: Command,
  nameAndArgs: string,
  description: string,
  options: { json?: boolean } = {},
): Command {
  const command = parent
    .command(nameAndArgs)
    .description(description)
    .option("--endpoint <url>", "admin API URL (env TOLLGATE_ENDPOINT; default http://127.0.0.1:8081)")
    .option(
      "--data-dir <dir>",
      "data directory of `tollgate serve`, to read the admin token from credentials.json (env TOLLGATE_DATA_DIR; default .tollgate); TOLLGATE_ADMIN_TOKEN wins",
    );
  if (options.json !== false) command.option("--json", "print JSON for scripts instead of a table");
  return command;
}

/** Parses a numeric flag, naming the flag when the value is not a number. */
export function numberFlag(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new CliError(
      `Invalid ${flag} '${value}': expected a non-negative ${integer ? "integer" : "number"}`,
    );
  }
  return n;
}

/**
 * Finds a resource by id or by name in a list; a name several resources share is refused
 * rather than guessed.
 */
export function byIdOrName<T extends { id: string; name?: string }>(
  items: T[],
  ref: string,
  what: string,
): T {
  const byId = items.find((item) => item.id === ref);
  if (byId) return byId;
  const named = items.filter((item) => item.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new CliError(
      `${named.length} ${what}s are named '${ref}' (${named.map((n) => n.id).join(", ")}): use an id`,
    );
  }
  throw new CliError(`No ${what} has the id or name '${ref}'`);
}
