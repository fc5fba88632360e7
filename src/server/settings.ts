import { resolve } from "node:path";

/** Everything `tollgate serve` is configured by: flags first, then environment, then defaults. */
export interface Settings {
  dataDir: string;
  databaseUrl?: string;
  host: string;
  adminPort: number;
  gatewayPort: number;
  portalPort: number;
  /** Seed the example API, plans and keys when the store is empty. */
  quickstart: boolean;
}

export interface SettingsFlags {
  dataDir?: string;
  host?: string;
  adminPort?: string | number;
  gatewayPort?: string | number;
  portalPort?: string | number;
  quickstart?: boolean;
}

export function resolveSettings(flags: SettingsFlags = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    dataDir: resolve(flags.dataDir ?? env.TOLLGATE_DATA_DIR ?? ".tollgate"),
    databaseUrl: env.TOLLGATE_DATABASE_URL || undefined,
    host: flags.host ?? env.TOLLGATE_HOST ?? "127.0.0.1",
    adminPort: port("admin", flags.adminPort ?? env.TOLLGATE_ADMIN_PORT, 8081),
    gatewayPort: port("gateway", flags.gatewayPort ?? env.TOLLGATE_GATEWAY_PORT, 8080),
    portalPort: port("portal", flags.portalPort ?? env.TOLLGATE_PORTAL_PORT, 8082),
    quickstart: flags.quickstart ?? env.TOLLGATE_QUICKSTART !== "false",
  };
}

function port(name: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  // 0 asks the OS for a free port (tests use it).
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`Invalid ${name} port '${value}': expected 0 to 65535`);
  return n;
}
