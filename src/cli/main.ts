#!/usr/bin/env node
/**
 * The `tollgate` command: `serve` runs Tollgate; the other commands are clients of its admin
 * API over HTTP (`--endpoint`, bearer token from TOLLGATE_ADMIN_TOKEN or the data directory).
 */
import "./v8-flags.js";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { CliError } from "./client.js";
import { apisCommand } from "./commands/apis.js";
import { applyCommand } from "./commands/apply.js";
import { billingCommand } from "./commands/billing.js";
import { eventsCommand } from "./commands/events.js";
import { keysCommand } from "./commands/keys.js";
import { plansCommand } from "./commands/plans.js";
import { portalCommand } from "./commands/portal.js";
import { serveCommand } from "./commands/serve.js";
import { stagesCommand } from "./commands/stages.js";
import { tenantsCommand } from "./commands/tenants.js";
import { usageCommand } from "./commands/usage.js";

// src/cli and dist/cli are both two levels below the package root.
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command("tollgate")
  .description("Self-hosted API management with Amazon API Gateway's admin API")
  .version(version)
  .showHelpAfterError();
for (const register of [
  serveCommand,
  applyCommand,
  apisCommand,
  stagesCommand,
  plansCommand,
  tenantsCommand,
  keysCommand,
  usageCommand,
  billingCommand,
  portalCommand,
  eventsCommand,
]) {
  register(program);
}

try {
  await program.parseAsync();
} catch (error) {
  // Expected failures (bad input, server errors) print their message only; others their stack too.
  const known = error instanceof CliError;
  process.stderr.write(`Error: ${known ? error.message : ((error as Error).stack ?? error)}\n`);
  process.exitCode = known ? error.exitCode : 1;
}
