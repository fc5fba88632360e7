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
  /** AWS's gateway response type of an answer the gateway gave itself (`ForbiddenException`, ...). */
  errorType?: string;
  /** The request was served by the stage's canary deployment. */
  canary?: boolean;
  /** Response cache lookup result on a method with caching on. */
  cache?: "hit" | "miss";
  /** W3C trace id (the `traceparent` the upstream received). */
  traceId?: string;
}

/**
 * Writes access log lines off the hot path: lines are buffered and written together every
 * `flushMs` (or sooner once 64 KiB are waiting), so a request never waits on the log and the
 * log costs one write per batch, not one per request. A crash loses at most the last batch.
 */
export class AccessLog {
  private buffer: string[] = [];
  private bytes = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly out: Writable,
    private readonly flushMs = 100,
  ) {}

  /** `"stdout"`, `"off"`, or a file path (appended). */
  static open(target: string): AccessLog | undefined {
    if (target === "off" || target === "") return undefined;
    return new AccessLog(target === "stdout" ? process.stdout : createWriteStream(target, { flags: "a" }));
  }

  write(entry: AccessLogEntry): void {
    const line = JSON.stringify(entry);
    this.buffer.push(line);
    this.bytes += line.length;
    if (this.bytes >= 64 * 1024) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const text = `${this.buffer.join("\n")}\n`;
    this.buffer = [];
    this.bytes = 0;
    this.out.write(text);
  }

  close(): Promise<void> {
    this.flush();
    if (this.out === process.stdout) return Promise.resolve();
    return new Promise((resolve) => this.out.end(resolve));
  }
}
