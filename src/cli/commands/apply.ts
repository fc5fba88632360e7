import type { Command } from "commander";
import { applyConfig, loadConfig, planJson, renderPlan, renderResult } from "../apply/index.js";
import { CliError } from "../client.js";
import { say } from "../output.js";
import { type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

/** Exit code of `--dry-run` when changes are pending (as `terraform plan -detailed-exitcode`). */
export const EXIT_CHANGES_PENDING = 2;

interface ApplyFlags extends ClientCommandFlags {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
}

/** `tollgate apply -f tollgate.yaml`: make the server match a declarative config file. */
export function applyCommand(program: Command): void {
  clientCommand(program, "apply", "make the server match a declarative config file (see docs/config.md)")
    .requiredOption("-f, --file <file>", "the config file (YAML)")
    .option(
      "--dry-run",
      `print the plan and write nothing; exit ${EXIT_CHANGES_PENDING} when changes are pending`,
    )
    .option("--prune", "also delete APIs, stages, plans, tenants and keys that the file does not name")
    .action(async (flags: ApplyFlags) => {
      // The file is checked before anything else, so a bad file fails the same with or without a server.
      const config = loadConfig(flags.file);
      const { plan, result } = await applyConfig(config, clientFrom(flags), {
        dryRun: flags.dryRun,
        prune: flags.prune,
      });
      if (flags.json) say(JSON.stringify(planJson(plan, result), null, 2));
      else say(...renderPlan(plan, flags.file), ...(result ? ["", ...renderResult(result)] : []));
      if (result?.failed) {
        const { change, error } = result.failed;
        throw new CliError(
          `${change.action} ${change.kind} ${change.name} failed: ${(error as Error).message ?? error}`,
        );
      }
      if (flags.dryRun && plan.changes.length) process.exitCode = EXIT_CHANGES_PENDING;
    });
}
