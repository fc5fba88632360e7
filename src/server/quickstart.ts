/**
 * The quick start: on a store without REST APIs, `tollgate serve` seeds an example API (mock
 * integrations, so no upstream is needed) deployed to `dev`, a Free and a Premium plan on it, and
 * two tenants with a key each. It is `tollgate apply` of examples/quickstart/tollgate.yaml against
 * the local admin API: one code path with what operators run.
 */
import { fileURLToPath } from "node:url";
import { applyConfig, type CreatedKey, loadConfig } from "../cli/apply/index.js";
import { AdminClient } from "../cli/client.js";

/** src/server and dist/server are both two levels below the package root. */
const PACKAGE_ROOT = new URL("../../", import.meta.url);

/** The config the quick start applies. */
export const QUICKSTART_CONFIG = fileURLToPath(new URL("examples/quickstart/tollgate.yaml", PACKAGE_ROOT));

/** What the quick start created; the key values are shown only this once. */
export interface QuickstartResult {
  apiName: string;
  apiId: string;
  stage: string;
  keys: CreatedKey[];
}

/**
 * Seeds the quick-start resources when the admin API at `adminUrl` has no REST API yet, and
 * returns what it created; returns undefined (and writes nothing) otherwise.
 */
export async function seedQuickstart(
  adminUrl: string,
  adminToken: string,
): Promise<QuickstartResult | undefined> {
  const client = new AdminClient(localUrl(adminUrl), adminToken);
  const existing = await client.request<{ item?: unknown[] }>("GET", "/restapis", { query: { limit: 1 } });
  if (existing?.item?.length) return undefined;

  const config = loadConfig(QUICKSTART_CONFIG, {});
  const { plan, result } = await applyConfig(config, client);
  if (result?.failed) {
    const { change, error } = result.failed;
    throw new Error(
      `Quick start failed to ${change.action} ${change.kind} ${change.name}: ${(error as Error).message}. ` +
        "Start with --no-quickstart (or TOLLGATE_QUICKSTART=false) to skip it.",
    );
  }
  const api = config.apis[0]!;
  const apiId = result?.ids.apis.get(api.name) ?? plan.known.apis.get(api.name) ?? "";
  // The example is published in the developer portal, so its catalog shows something at once.
  if (apiId) {
    await client.request("PUT", `/portal/catalog/${apiId}`, { body: { published: true } });
    for (const stage of api.stages) {
      await client.request("PUT", `/portal/catalog/${apiId}/stages/${stage.name}`, {
        body: { published: true },
      });
    }
  }
  return {
    apiName: api.name,
    apiId,
    stage: api.stages[0]?.name ?? "",
    keys: result?.createdKeys ?? [],
  };
}

/** The quick-start banner: the new keys and curl lines that work as printed. */
export function quickstartBanner(
  seeded: QuickstartResult,
  urls: { adminUrl: string; gatewayUrl: string; adminToken: string },
): string[] {
  const admin = localUrl(urls.adminUrl);
  const auth = `-H "Authorization: Bearer ${urls.adminToken}"`;
  const first = seeded.keys[0];
  return [
    `Quick start: API '${seeded.apiName}' (${seeded.apiId}) deployed to stage '${seeded.stage}', with plans, tenants and keys`,
    `from ${QUICKSTART_CONFIG}. The key values are shown only now:`,
    ...seeded.keys.map(
      (k) => `  ${k.tenant.padEnd(16)} plan ${k.plan.padEnd(8)} x-api-key: ${k.value ?? "(from the file)"}`,
    ),
    "",
    "Look around with the admin API:",
    `  curl -s ${auth} ${admin}/restapis`,
    `  curl -s ${auth} ${admin}/usageplans`,
    `  curl -s ${auth} "${admin}/apikeys?includeValues=true"`,
    "",
    "Call the API through the gateway:",
    `  curl -H "x-api-key: ${first?.value ?? "<key>"}" ${localUrl(urls.gatewayUrl)}/${seeded.stage}/pets`,
  ];
}

/** A URL a local client can call: servers listening on every interface are reached on loopback. */
export function localUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.hostname === "0.0.0.0") parsed.hostname = "127.0.0.1";
    if (parsed.hostname === "[::]") parsed.hostname = "[::1]";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}
