import { createWriteStream } from "node:fs";
import { basename, dirname } from "node:path";
import type { Writable } from "node:stream";
import { Counter, type Registry } from "prom-client";
import { createStream } from "rotating-file-stream";
import type { LogFormat } from "./access-log-format.js";

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
  /** The upstream's status (`$context.integration.status`); absent when nothing was forwarded. */
  integrationStatus?: number;
  /** The authorizer's principal (`$context.authorizer.principalId`). */
  principalId?: string;
  /** The request's User-Agent and Host (`$context.identity.userAgent`, `$context.domainName`). */
  userAgent?: string;
  host?: string;
  /** `HTTP/1.1` (`$context.protocol`). */
  protocol?: string;
}

/** Where rendered lines go: a stream (stdout, a file) or the HTTP sink. */
export interface AccessLogSink {
  /** Takes one batch of lines, each ending in a newline. */
  write(text: string): void;
  close(): Promise<void>;
}

export interface AccessLogOptions {
  /** Rotate a file destination when it exceeds this many bytes (0: never). */
  maxBytes?: number;
  /** Rotated files kept (`access.log.1` … `access.log.N`). */
  maxFiles?: number;
  /** The HTTP sink's buffer bound, bytes: beyond it, the oldest lines are dropped (and counted). */
  bufferBytes?: number;
  /** Where the drop counter goes (`tollgate_access_log_dropped_lines_total`). */
  registry?: Registry;
  flushMs?: number;
}

/** Entries waiting at most this many before a flush (about 64 KiB of JSON lines). */
const BATCH_ENTRIES = 256;

/**
 * Writes access log lines off the hot path: each entry is rendered (JSON, or the stage's format)
 * once its answer is written, and the lines are written together every `flushMs` or once 256
 * are waiting, so a request never waits on the log and the log costs one write per batch.
 * Rendering one line at a time keeps a batch's cost from landing on the one request that
 * happens to come next. A crash loses at most the last batch.
 */
export class AccessLog {
  private lines = "";
  private waiting = 0;
  private timer?: NodeJS.Timeout;
  private readonly sink: AccessLogSink;

  constructor(
    out: Writable | AccessLogSink,
    private readonly flushMs = 100,
  ) {
    this.sink = isSink(out) ? out : streamSink(out);
  }

  /**
   * `"stdout"`, `"off"`, an `http(s)://` URL (the HTTP sink: newline-delimited batches POSTed),
   * or a file path (appended; rotated past `maxBytes`).
   */
  static open(target: string, options: AccessLogOptions = {}): AccessLog | undefined {
    if (target === "off" || target === "") return undefined;
    if (target === "stdout") return new AccessLog(process.stdout, options.flushMs);
    if (/^https?:\/\//i.test(target)) {
      const dropped = options.registry
        ? new Counter({
            name: "tollgate_access_log_dropped_lines_total",
            help: "Access log lines dropped because the HTTP sink was unreachable and its buffer full",
            registers: [options.registry],
          })
        : undefined;
      return new AccessLog(
        new HttpLogSink(target, { maxBufferBytes: options.bufferBytes, onDrop: (n) => dropped?.inc(n) }),
        options.flushMs,
      );
    }
    const maxBytes = options.maxBytes ?? 0;
    if (maxBytes > 0) {
      const name = basename(target);
      // Classical logrotate naming: rfs passes the index alone (null for the live file).
      const named = (index: number | Date) =>
        typeof index === "number" && index > 0 ? `${name}.${index}` : name;
      const stream = createStream(named, {
        path: dirname(target),
        size: `${Math.max(1, Math.floor(maxBytes))}B`,
        rotate: Math.max(1, options.maxFiles ?? 5),
      });
      stream.on("error", (error) => process.stderr.write(`access log: ${error.message}\n`));
      return new AccessLog(stream, options.flushMs);
    }
    return new AccessLog(createWriteStream(target, { flags: "a" }), options.flushMs);
  }

  /** Renders one entry with `format` (the stage's) or as a JSON line, and queues the line. */
  write(entry: AccessLogEntry, format?: LogFormat): void {
    this.lines += `${format ? format(entry) : entryJson(entry)}\n`;
    if (++this.waiting >= BATCH_ENTRIES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting === 0) return;
    const text = this.lines;
    this.lines = "";
    this.waiting = 0;
    this.sink.write(text);
  }

  close(): Promise<void> {
    this.flush();
    return this.sink.close();
  }
}

/** What a JSON string must escape; JSON.stringify also escapes lone surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(entry)`, the same text at about half the cost (this runs on every request):
 * values the gateway makes itself (request and trace ids, time, method, error type, numbers) are
 * written as they are, and one check over the others tells whether any needs escaping, in which
 * case JSON.stringify writes the line.
 */
export function entryJson(e: AccessLogEntry): string {
  let free = e.ip + e.path;
  if (e.apiId !== undefined) free += e.apiId;
  if (e.stage !== undefined) free += e.stage;
  if (e.resourcePath !== undefined) free += e.resourcePath;
  if (e.keyId !== undefined) free += e.keyId;
  if (e.tenantId !== undefined) free += e.tenantId;
  if (e.usagePlanId !== undefined) free += e.usagePlanId;
  if (e.error !== undefined) free += e.error;
  if (e.principalId !== undefined) free += e.principalId;
  if (e.userAgent !== undefined) free += e.userAgent;
  if (e.host !== undefined) free += e.host;
  if (
    NEEDS_ESCAPE.test(free) ||
    !Number.isFinite(e.latencyMs) ||
    !Number.isFinite(e.bytesIn) ||
    (e.upstreamLatencyMs !== undefined && !Number.isFinite(e.upstreamLatencyMs))
  )
    return JSON.stringify(e);
  let line = `{"requestId":"${e.requestId}","time":"${e.time}","ip":"${e.ip}","method":"${e.method}","path":"${e.path}"`;
  if (e.apiId !== undefined) line += `,"apiId":"${e.apiId}"`;
  if (e.stage !== undefined) line += `,"stage":"${e.stage}"`;
  if (e.resourcePath !== undefined) line += `,"resourcePath":"${e.resourcePath}"`;
  line += `,"status":${e.status}`;
  if (e.keyId !== undefined) line += `,"keyId":"${e.keyId}"`;
  if (e.tenantId !== undefined) line += `,"tenantId":"${e.tenantId}"`;
  if (e.usagePlanId !== undefined) line += `,"usagePlanId":"${e.usagePlanId}"`;
  line += `,"latencyMs":${e.latencyMs}`;
  if (e.upstreamLatencyMs !== undefined) line += `,"upstreamLatencyMs":${e.upstreamLatencyMs}`;
  line += `,"bytesIn":${e.bytesIn},"bytesOut":${e.bytesOut}`;
  if (e.error !== undefined) line += `,"error":"${e.error}"`;
  if (e.errorType !== undefined) line += `,"errorType":"${e.errorType}"`;
  if (e.canary !== undefined) line += `,"canary":${e.canary}`;
  if (e.cache !== undefined) line += `,"cache":"${e.cache}"`;
  if (e.traceId !== undefined) line += `,"traceId":"${e.traceId}"`;
  if (e.integrationStatus !== undefined) line += `,"integrationStatus":${e.integrationStatus}`;
  if (e.principalId !== undefined) line += `,"principalId":"${e.principalId}"`;
  if (e.userAgent !== undefined) line += `,"userAgent":"${e.userAgent}"`;
  if (e.host !== undefined) line += `,"host":"${e.host}"`;
  if (e.protocol !== undefined) line += `,"protocol":"${e.protocol}"`;
  return `${line}}`;
}

function isSink(out: Writable | AccessLogSink): out is AccessLogSink {
  return !("writable" in out);
}

function streamSink(out: Writable): AccessLogSink {
  return {
    write: (text) => void out.write(text),
    close: () =>
      out === process.stdout || out === process.stderr
        ? Promise.resolve()
        : new Promise<void>((resolve) => out.end(resolve)),
  };
}

export interface HttpLogSinkOptions {
  /** Buffer bound, bytes (default 8 MiB): past it the oldest batches are dropped. */
  maxBufferBytes?: number;
  /** Largest POST body, bytes (default 1 MiB). */
  maxPostBytes?: number;
  /** First retry delay after a failed POST, ms (doubles up to 30 s). */
  retryMs?: number;
  /** Lines dropped, as they are. */
  onDrop?: (lines: number) => void;
}

/**
 * Sends access log batches to an HTTP endpoint: `POST` with `application/x-ndjson`, one request
 * at a time, any 2xx accepted. While the endpoint is down, batches wait in a bounded buffer and
 * are retried with backoff; when the buffer is full the oldest are dropped and counted, so a
 * dead sink never grows the gateway's memory.
 */
export class HttpLogSink implements AccessLogSink {
  private readonly queue: string[] = [];
  private bytes = 0;
  private sending?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private delayMs: number;
  private readonly maxBufferBytes: number;
  private readonly maxPostBytes: number;
  /** Lines dropped so far. */
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly options: HttpLogSinkOptions = {},
  ) {
    this.maxBufferBytes = options.maxBufferBytes ?? 8 * 1024 * 1024;
    this.maxPostBytes = options.maxPostBytes ?? 1024 * 1024;
    this.delayMs = options.retryMs ?? 1000;
  }

  write(text: string): void {
    this.queue.push(text);
    this.bytes += text.length;
    this.trim();
    if (!this.retryTimer) this.kick();
  }

  /** Drops the oldest batches while the buffer is over its bound. */
  private trim(): void {
    while (this.bytes > this.maxBufferBytes && this.queue.length) {
      const old = this.queue.shift()!;
      this.bytes -= old.length;
      const lines = countLines(old);
      this.dropped += lines;
      this.options.onDrop?.(lines);
    }
  }

  private kick(): void {
    if (this.sending || !this.queue.length) return;
    let body = "";
    while (this.queue.length && (body === "" || body.length + this.queue[0]!.length <= this.maxPostBytes))
      body += this.queue.shift()!;
    this.bytes -= body.length;
    this.sending = this.post(body).then(
      () => {
        this.sending = undefined;
        this.delayMs = this.options.retryMs ?? 1000;
        this.kick();
      },
      () => {
        this.sending = undefined;
        // Back at the front, to go first once the sink answers (the bound still holds).
        this.queue.unshift(body);
        this.bytes += body.length;
        this.trim();
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.delayMs);
        this.retryTimer.unref();
        this.delayMs = Math.min(this.delayMs * 2, 30_000);
      },
    );
  }

  private async post(body: string): Promise<void> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer().catch(() => {});
    if (response.status < 200 || response.status >= 300)
      throw new Error(`the sink answered ${response.status}`);
  }

  /** Sends what is buffered, trying for at most `timeoutMs`; what is left then is dropped. */
  async close(timeoutMs = 2000): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length || this.sending) && Date.now() < deadline) {
      this.kick();
      await Promise.race([this.sending, new Promise((r) => setTimeout(r, 50))]);
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
