import type { Command } from "commander";
import { date, print } from "../output.js";
import type { Deployment, Stage } from "../shapes.js";
import { type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

/** `tollgate stages`: deploy an API to a stage and list its stages. */
export function stagesCommand(program: Command): void {
  const stages = program.command("stages").description("deploy REST APIs to stages and list them");

  clientCommand(
    stages,
    "deploy <apiId> <stage>",
    "deploy the API's current definition to a stage (created if new)",
  )
    .option("--description <text>", "description of the deployment")
    .action(async (apiId: string, stage: string, flags: ClientCommandFlags & { description?: string }) => {
      const deployment = await clientFrom(flags).request<Deployment>(
        "POST",
        `/restapis/${encodeURIComponent(apiId)}/deployments`,
        { body: { stageName: stage, description: flags.description } },
      );
      print(
        deployment,
        [
          { header: "DEPLOYMENT", value: (d) => d.id },
          { header: "STAGE", value: () => stage },
          { header: "CREATED", value: (d) => date(d.createdDate) },
        ],
        flags,
      );
    });

  clientCommand(stages, "list <apiId>", "list the stages of a REST API").action(
    async (apiId: string, flags: ClientCommandFlags) => {
      const list = await clientFrom(flags).listAll<Stage>(`/restapis/${encodeURIComponent(apiId)}/stages`);
      print(
        list,
        [
          { header: "STAGE", value: (s) => s.stageName },
          { header: "DEPLOYMENT", value: (s) => s.deploymentId },
          { header: "DESCRIPTION", value: (s) => s.description },
          {
            header: "VARIABLES",
            value: (s) => (s.variables && Object.keys(s.variables).length ? s.variables : ""),
          },
          { header: "UPDATED", value: (s) => date(s.lastUpdatedDate) },
        ],
        flags,
      );
    },
  );
}
