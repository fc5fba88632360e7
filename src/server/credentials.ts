import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AdminCredentials } from "../admin/index.js";
import { newToken } from "../core/ids.js";

export interface ServerSecrets {
  admin: AdminCredentials;
  /** Seals readable secrets at rest and keys the lookup hashes. */
  serverSecret: string;
  /** True when they were generated now: the only time the secret parts are printed. */
  generated: boolean;
}

const FILE = "credentials.json";

/**
 * The admin credentials and the server secret. Environment variables win (containers, CI, and
 * several nodes sharing one database must set TOLLGATE_SERVER_SECRET alike); what is missing is
 * generated once and kept in `<dataDir>/credentials.json`, mode 600.
 */
export function loadSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): ServerSecrets {
  const file = join(dataDir, FILE);
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<StoredSecrets>) : {};
  const fresh: StoredSecrets = {
    accessKeyId:
      stored.accessKeyId ??
      `TG${newToken(12)
        .replace(/[^A-Za-z0-9]/g, "")
        .toUpperCase()
        .slice(0, 16)
        .padEnd(16, "X")}`,
    secretAccessKey: stored.secretAccessKey ?? newToken(30),
    adminToken: stored.adminToken ?? newToken(32),
    serverSecret: stored.serverSecret ?? newToken(32),
  };
  const generated = !existsSync(file);
  if (generated || Object.keys(stored).length < 4) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    admin: {
      accessKeyId: env.TOLLGATE_ACCESS_KEY_ID || fresh.accessKeyId,
      secretAccessKey: env.TOLLGATE_SECRET_ACCESS_KEY || fresh.secretAccessKey,
      adminToken: env.TOLLGATE_ADMIN_TOKEN || fresh.adminToken,
    },
    serverSecret: env.TOLLGATE_SERVER_SECRET || fresh.serverSecret,
    generated,
  };
}

interface StoredSecrets {
  accessKeyId: string;
  secretAccessKey: string;
  adminToken: string;
  serverSecret: string;
}

/** Reads only the admin token, for CLI commands that call a local server. */
export function readAdminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TOLLGATE_ADMIN_TOKEN) return env.TOLLGATE_ADMIN_TOKEN;
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as Partial<StoredSecrets>).adminToken;
}
