import type { AdminClient } from "../client.js";
import type {
  ApiKey,
  Deployment,
  FirewallRule,
  IpRateLimit,
  IpSet,
  RestApi,
  Stage,
  Tenant,
  UsagePlan,
} from "../shapes.js";
import type { DesiredConfig } from "./config.js";

/** What the server holds, read through the admin API before planning. */
export interface ServerState {
  apis: RestApi[];
  /** Stages of the REST APIs the file names, by API id. */
  stages: Map<string, Stage[]>;
  /** The deployments the canaries of those stages run, by `{apiId}/{deploymentId}`. */
  canaryDeployments: Map<string, Deployment>;
  plans: UsagePlan[];
  /** Ids of the usage plans each key is on, by key id. */
  planIdsByKey: Map<string, string[]>;
  tenants: Tenant[];
  /** With values when the file states any key value (to compare them). */
  keys: ApiKey[];
  /** Read only when the file has a firewall section. */
  firewall?: { ipSets: IpSet[]; rules: FirewallRule[]; ipRateLimits: IpRateLimit[] };
}

/** Reads everything `apply` compares, with read-only calls. */
export async function readState(client: AdminClient, config: DesiredConfig): Promise<ServerState> {
  const wantValues = config.tenants.some((t) => t.keys.some((k) => k.value !== undefined));
  const [apis, plans, tenants, keys] = await Promise.all([
    client.listAll<RestApi>("/restapis"),
    client.listAll<UsagePlan>("/usageplans"),
    client.listAll<Tenant>("/tenants"),
    client.listAll<ApiKey>("/apikeys", { includeValues: wantValues || undefined }),
  ]);

  const names = new Set(config.apis.map((a) => a.name));
  const stages = new Map<string, Stage[]>();
  await Promise.all(
    apis
      .filter((api) => names.has(api.name))
      .map(async (api) => {
        stages.set(api.id, await client.listAll<Stage>(`/restapis/${api.id}/stages`));
      }),
  );
  const canaryDeployments = new Map<string, Deployment>();
  await Promise.all(
    [...stages].flatMap(([apiId, list]) =>
      list.flatMap((stage) => {
        const id = stage.canarySettings?.deploymentId;
        if (!id) return [];
        return [
          client
            .request<Deployment>("GET", `/restapis/${apiId}/deployments/${id}`)
            .then((deployment) => canaryDeployments.set(`${apiId}/${id}`, deployment)),
        ];
      }),
    ),
  );

  const planIdsByKey = new Map<string, string[]>();
  await Promise.all(
    plans.map(async (plan) => {
      for (const key of await client.listAll<{ id: string }>(`/usageplans/${plan.id}/keys`)) {
        planIdsByKey.set(key.id, [...(planIdsByKey.get(key.id) ?? []), plan.id]);
      }
    }),
  );
  const firewall = config.firewall
    ? {
        ipSets: await client.listAll<IpSet>("/firewall/ipsets"),
        rules: await client.listAll<FirewallRule>("/firewall/rules"),
        ipRateLimits: await client.listAll<IpRateLimit>("/firewall/ipratelimits"),
      }
    : undefined;
  return { apis, stages, canaryDeployments, plans, planIdsByKey, tenants, keys, firewall };
}
