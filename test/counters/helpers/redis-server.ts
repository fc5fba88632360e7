import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

const REDIS_SERVER = "/usr/bin/redis-server";

/**
 * `false` when a Redis server binary is installed; otherwise why the Redis suites are skipped
 * (pass it as `describe`'s `skip` option, which prints it).
 */
export const redisSkip: string | false = existsSync(REDIS_SERVER)
  ? false
  : `${REDIS_SERVER} is not installed, so the Redis suites are skipped`;
if (redisSkip) console.log(redisSkip);

/** A private, throwaway Redis server on a free loopback port; nothing is persisted. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void;
  /** Lets a frozen server go on (SIGCONT). */
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = await launch(port);
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGCONT");
      running.kill("SIGTERM");
      await exited;
    },
  };
  await server.start();
  process.once("exit", () => child?.kill("SIGKILL"));
  return server;
}

async function launch(port: number): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (!error) return resolve();
      child.kill("SIGKILL");
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) settle();
    };
    const onExit = (code: number | null) => settle(new Error(`redis-server exited with ${code}:\n${output}`));
    const timer = setTimeout(() => settle(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
  child.stdout?.resume();
  return child;
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}
