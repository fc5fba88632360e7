import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { CliError } from "../client.js";
import { type Column, date, print } from "../output.js";
import type { RestApi } from "../shapes.js";
import { type ClientCommandFlags, clientCommand, clientFrom } from "./common.js";

const API_COLUMNS: Column<RestApi>[] = [
  { header: "ID", value: (a) => a.id },
  { header: "NAME", value: (a) => a.name },
  { header: "DESCRIPTION", value: (a) => a.description },
  { header: "CREATED", value: (a) => date(a.createdDate) },
];

/** `tollgate apis`: import OpenAPI files, list REST APIs, export a stage's definition. */
export function apisCommand(program: Command): void {
  const apis = program.command("apis").description("REST APIs: import OpenAPI files, list, export");

  clientCommand(apis, "import <file>", "import an OpenAPI 3 or Swagger 2 file (JSON or YAML) as a REST API")
    .option("--mode <mode>", "put the file into an existing API (--api): overwrite or merge")
    .option("--api <id>", "the REST API that --mode puts the file into")
    .action(async (file: string, flags: ClientCommandFlags & { mode?: string; api?: string }) => {
      if (flags.mode !== undefined && !["overwrite", "merge"].includes(flags.mode)) {
        throw new CliError(`Invalid --mode '${flags.mode}': expected overwrite or merge`);
      }
      if (!!flags.mode !== !!flags.api) throw new CliError("--mode and --api go together");
      const document = readDocument(file);
      const contentType = file.endsWith(".json") ? "application/json" : "application/octet-stream";
      const admin = clientFrom(flags);
      const api = flags.api
        ? await admin.request<RestApi>("PUT", `/restapis/${encodeURIComponent(flags.api)}`, {
            query: { mode: flags.mode },
            rawBody: document,
            contentType,
          })
        : await admin.request<RestApi>("POST", "/restapis", {
            query: { mode: "import" },
            rawBody: document,
            contentType,
          });
      print(api, [...API_COLUMNS, { header: "WARNINGS", value: (a) => a.warnings?.join("; ") }], flags);
    });

  clientCommand(apis, "list", "list REST APIs").action(async (flags: ClientCommandFlags) => {
    print(await clientFrom(flags).listAll<RestApi>("/restapis"), API_COLUMNS, flags);
  });

  clientCommand(apis, "export <apiId> <stage>", "print the OpenAPI definition of a deployed stage", {
    json: false,
  })
    .option("--yaml", "YAML instead of JSON")
    .option("--type <type>", "oas30 (OpenAPI 3.0) or swagger (2.0)", "oas30")
    .option("--extensions <list>", "API Gateway extensions to include: integrations, apigateway, authorizers")
    .action(
      async (
        apiId: string,
        stage: string,
        flags: ClientCommandFlags & { yaml?: boolean; type: string; extensions?: string },
      ) => {
        const text = await clientFrom(flags).text(
          "GET",
          `/restapis/${encodeURIComponent(apiId)}/stages/${encodeURIComponent(stage)}/exports/${encodeURIComponent(flags.type)}`,
          {
            accept: flags.yaml ? "application/yaml" : "application/json",
            query: { extensions: flags.extensions },
          },
        );
        process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      },
    );
}

function readDocument(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
