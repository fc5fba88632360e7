import type { ChildProcess } from "node:child_process";

/** Stops a child with SIGTERM; resolves once it is gone, at once when it has exited already. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
