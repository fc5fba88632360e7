import { readFileSync } from "node:fs";
import { request } from "node:http";
import { after, before } from "node:test";
import {
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  ImportRestApiCommand,
  type QuotaSettings,
  type ThrottleSettings,
} from "@aws-sdk/client-api-gateway";
import { startTestTollgate, type TestTollgate, type TestTollgateOptions } from "./tollgate.js";
import { startUpstream, type Upstream } from "./upstream.js";

export const ECHO_OPENAPI = readFileSync(new URL("../fixtures/openapi/gateway-echo.yaml", import.meta.url));

/** Imports the echo API and deploys it to `stage` with its upstream's host:port as a stage variable. */
export async function deployEchoApi(t: TestTollgate, upstreamUrl: string, stage = "dev"): Promise<string> {
  const api = await t.apigateway.send(new ImportRestApiCommand({ body: ECHO_OPENAPI }));
  await t.apigateway.send(
    new CreateDeploymentCommand({
      restApiId: api.id!,
      stageName: stage,
      variables: { upstream: new URL(upstreamUrl).host },
    }),
  );
  return api.id!;
}

/** What `echoApiWorld` sets up; its fields are filled in by the `before` hook it registers. */
export interface EchoApiWorld {
  t: TestTollgate;
  upstream: Upstream;
  /** The echo API, deployed to the world's stage. */
  apiId: string;
}

/**
 * Registers node:test `before`/`after` hooks (call it inside a `describe`) that start an upstream
 * and a test Tollgate and deploy the echo API to `stage` (`dev` by default), then close both.
 * The account throttle defaults to 1,000,000 rps and burst so it never interferes; `env`
 * overrides it and adds settings.
 */
export function echoApiWorld(options: TestTollgateOptions & { stage?: string } = {}): EchoApiWorld {
  const { stage, ...tollgateOptions } = options;
  const world = {} as EchoApiWorld;
  before(async () => {
    world.upstream = await startUpstream();
    world.t = await startTestTollgate({
      ...tollgateOptions,
      env: {
        TOLLGATE_ACCOUNT_RATE_LIMIT: "1000000",
        TOLLGATE_ACCOUNT_BURST_LIMIT: "1000000",
        ...tollgateOptions.env,
      },
    });
    world.apiId = await deployEchoApi(world.t, world.upstream.url, stage);
  });
  after(async () => {
    await world.t?.close();
    await world.upstream?.close();
  });
  return world;
}

export interface PlanWithKey {
  planId: string;
  keyId: string;
  key: string;
  tenantId: string;
}

/** A tenant with one enabled key on a new usage plan covering `apiId`/`stage`. */
export async function planWithKey(
  t: TestTollgate,
  apiId: string,
  options: {
    stage?: string;
    throttle?: ThrottleSettings;
    quota?: QuotaSettings;
    methodThrottle?: Record<string, ThrottleSettings>;
    tenantName?: string;
  } = {},
): Promise<PlanWithKey> {
  const tenantName = options.tenantName ?? `tenant-${Math.random().toString(36).slice(2, 8)}`;
  const tenant = await t.admin("POST", "/tenants", { name: tenantName });
  const plan = await t.apigateway.send(
    new CreateUsagePlanCommand({
      name: `plan-${tenantName}`,
      throttle: options.throttle,
      quota: options.quota,
      apiStages: [{ apiId, stage: options.stage ?? "dev", throttle: options.methodThrottle }],
    }),
  );
  const key = await t.apigateway.send(
    new CreateApiKeyCommand({ name: `key-${tenantName}`, enabled: true, customerId: tenant.body.id }),
  );
  await t.apigateway.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: key.id!, keyType: "API_KEY" }),
  );
  return { planId: plan.id!, keyId: key.id!, key: key.value!, tenantId: tenant.body.id };
}

/** Waits until the gateway has loaded the latest configuration revision. */
export async function gatewayCaughtUp(t: TestTollgate): Promise<void> {
  await t.tollgate.gateway.gateway.reloadIfChanged();
}

export interface GatewayResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  body: any;
}

/** A request to the gateway over node:http (fetch cannot set Host); JSON bodies are parsed. */
export function call(
  t: TestTollgate,
  path: string,
  init: { method?: string; key?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<GatewayResponse> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.key) headers["x-api-key"] = init.key;
  if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.tollgate.gatewayUrl}${path}`,
      { method: init.method ?? "GET", headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {}
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined)
              responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}
