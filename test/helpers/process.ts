import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `tollgate` command as a child process, as a user or a CI job would; never rejects. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A free TCP port on loopback (the OS picks it; it is released before use). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

export interface TollgateProcess {
  child: ChildProcess;
  adminUrl: string;
  gatewayUrl: string;
  /** Admin API call with the bearer token. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  admin(method: string, path: string, body?: unknown): Promise<any>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process gets no chance to flush anything. */
  kill(): Promise<void>;
}

/**
 * Runs `tollgate serve` as a separate process, as an operator would, and waits until its ports
 * answer (the gateway's only when its roles, `--role` in `args`, include the gateway).
 */
export async function spawnTollgate(options: {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** More `serve` arguments. */
  args?: string[];
}): Promise<TollgateProcess> {
  const role = options.args?.[options.args.indexOf("--role") + 1];
  const servesGateway = !options.args?.includes("--role") || role!.split(",").includes("gateway");
  const [adminPort, gatewayPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "serve",
      "--data-dir",
      options.dataDir,
      "--no-quickstart",
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        TOLLGATE_ADMIN_PORT: String(adminPort),
        TOLLGATE_GATEWAY_PORT: String(gatewayPort),
        TOLLGATE_PORTAL_PORT: String(await freePort()),
        TOLLGATE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        TOLLGATE_ACCESS_LOG: "off",
        ...options.env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tollgate exited early (${child.exitCode}): ${stderr}`);
    const up = await Promise.all([
      fetch(`${adminUrl}/health`),
      servesGateway ? fetch(`${gatewayUrl}/`) : undefined,
    ]).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`tollgate did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    adminUrl,
    gatewayUrl,
    async admin(method, path, body) {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
