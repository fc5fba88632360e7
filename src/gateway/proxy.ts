import type { CheckedFields, GatewayResponse } from "./http-server.js";
import type { ResponseHeaders } from "./response-parser.js";
import type { Exchange, UpstreamError, UpstreamHandler } from "./upstream-pool.js";

/** Headers that describe one hop and never cross the gateway (RFC 9110 §7.6.1), plus host. */
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/**
 * The upstream's header fields that go on to the client, as the lines of a head: all but the
 * hop-by-hop ones and those the gateway sets itself (`own`). The response parser checked them.
 */
export function passedFields(headers: ResponseHeaders, own: Record<string, string>): CheckedFields {
  let lines = "";
  let contentLength = false;
  let date = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (HOP_BY_HOP.has(name) || own[name] !== undefined) continue;
    if (name === "content-length") contentLength = true;
    else if (name === "date") date = true;
    lines += `${name}: ${headers[i + 1]!}\r\n`;
  }
  return { lines, contentLength, date };
}

export interface ProxyResult {
  status: number;
  bytesOut: number;
  /** Milliseconds from dispatch to the upstream's response head. */
  upstreamLatencyMs: number;
  /** What went wrong with the upstream, when something did. */
  error?: string;
  /** The upstream's answer could not be passed on (malformed, or not valid HTTP). */
  invalid?: boolean;
  timedOut?: boolean;
}

/**
 * Streams an upstream response into the client's response as it arrives, pausing the upstream
 * while the client drains. The gateway's own response headers (request id, RateLimit fields)
 * win over the upstream's. `done` runs once, with what happened.
 */
export class ProxyHandler implements UpstreamHandler {
  exchange?: Exchange;
  private status = 0;
  private bytesOut = 0;
  private readonly started = performance.now();
  private upstreamLatencyMs = 0;
  private finished = false;
  private sent = false;
  private invalid?: string;
  private held?: Buffer;

  /**
   * @param own the gateway's response headers, by lower-case name
   * @param send runs once, synchronously, just before the request is written to the upstream
   *   (or when it fails before that); returning false stops the write.
   */
  constructor(
    private readonly res: GatewayResponse,
    private readonly own: Record<string, string>,
    private readonly send: () => boolean,
    private readonly done: (result: ProxyResult) => void,
  ) {
    res.once("close", () => {
      // The client went away before the answer was complete: stop reading from the upstream.
      if (!this.finished) this.exchange?.abort("the client closed the connection");
    });
  }

  onSend(): boolean {
    this.sent = true;
    return this.send();
  }

  onHead(status: number, headers: ResponseHeaders): void {
    this.status = status;
    this.upstreamLatencyMs = performance.now() - this.started;
    try {
      this.res.writeHead(status, this.own, passedFields(headers, this.own));
    } catch (error) {
      // A header of the gateway's own that is not valid HTTP (from a stage's configuration).
      this.invalid = `invalid response header (${(error as Error).message})`;
      this.exchange?.abort(this.invalid);
    }
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    // The first piece is held: when the whole body came with the head (small answers, the
    // common case), it goes out with res.end as one write.
    const held = this.held;
    if (!held) {
      this.held = chunk;
      return true;
    }
    this.held = chunk;
    if (this.res.write(held)) return true;
    this.res.once("drain", () => this.exchange?.resume());
    return false;
  }

  onEnd(): void {
    if (this.held) this.res.end(this.held);
    else this.res.end();
    this.held = undefined;
    this.finish();
  }

  onError(error: UpstreamError): void {
    // Admitted but never written (the upstream could not be reached): it still counts.
    if (!this.sent) this.onSend();
    if (this.res.headersSent) this.res.destroy(error);
    this.finish(
      this.invalid ?? `${error.code}: ${error.message}`,
      this.invalid !== undefined || error.code === "INVALID_RESPONSE",
      error.code === "TIMEOUT",
    );
  }

  private finish(error?: string, invalid?: boolean, timedOut?: boolean): void {
    if (this.finished) return;
    this.finished = true;
    const upstreamLatencyMs =
      Math.round((this.upstreamLatencyMs || performance.now() - this.started) * 1000) / 1000;
    this.done({ status: this.status, bytesOut: this.bytesOut, upstreamLatencyMs, error, invalid, timedOut });
  }
}
