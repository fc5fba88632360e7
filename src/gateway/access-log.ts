import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

/** One line of the access log (JSON). Never holds a key value or a credential. */
export interface AccessLogEntry {
  requestId: string;
  time: string;
  ip: string;
  method: string;
  path: string;
  apiId?: string;
  stage?: string;
  resourcePath?: string;
  status: number;
  keyId?: string;
  tenantId?: string;
  usagePlanId?: string;
  latencyMs: number;
  upstreamLatencyMs?: number;
  bytesIn: number;
  bytesOut: number;
  error?: string;
}

/**
 * Writes access log lines off the hot path: lines are buffered and written together on the
 * next turn of the event loop, so a request never waits on the log.
 */
export class AccessLog {
  private buffer: string[] = [];
  private scheduled = false;

  constructor(private readonly out: Writable) {}

  /** `"stdout"`, `"off"`, or a file path (appended). */
  static open(target: string): AccessLog | undefined {
    if (target === "off" || target === "") return undefined;
    return new AccessLog(target === "stdout" ? process.stdout : createWriteStream(target, { flags: "a" }));
  }

  write(entry: AccessLogEntry): void {
    this.buffer.push(JSON.stringify(entry));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const text = `${this.buffer.join("\n")}\n`;
    this.buffer = [];
    this.out.write(text);
  }

  close(): Promise<void> {
    this.flush();
    if (this.out === process.stdout) return Promise.resolve();
    return new Promise((resolve) => this.out.end(resolve));
  }
}
