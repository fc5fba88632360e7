import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";

/** Headers that describe one hop and never cross the gateway, plus ones the gateway owns. */
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

export interface ProxyResult {
  status: number;
  bytesOut: number;
  /** Milliseconds from dispatch to the upstream's response head. */
  upstreamLatencyMs: number;
  /** An undici error code (or message) when the upstream failed. */
  error?: string;
  timedOut?: boolean;
}

/**
 * Streams an upstream response into the client's response as undici delivers it: no
 * intermediate stream objects, backpressure by pausing the upstream while the client drains.
 * `done` runs once, with what happened.
 */
export class ProxyHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private status = 0;
  private bytesOut = 0;
  private readonly started = performance.now();
  private upstreamLatencyMs = 0;
  private finished = false;
  private sent = false;

  /**
   * @param onSend runs once, synchronously, just before the request is written to the upstream
   *   (or when it fails before that); returning false stops the write.
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly onSend: () => boolean,
    private readonly done: (result: ProxyResult) => void,
  ) {
    res.once("close", () => {
      // The client went away before the answer was complete: stop reading from the upstream.
      if (!this.finished) this.controller?.abort(new Error("client closed the connection"));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.sent) return;
    this.sent = true;
    // undici writes the request right after this returns, unless it was aborted here.
    if (!this.onSend()) controller.abort(new Error("usage could not be recorded"));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx: informational, the real head follows
    this.status = statusCode;
    this.upstreamLatencyMs = performance.now() - this.started;
    const res = this.res;
    // One header object for writeHead: the gateway's own headers (set earlier) win.
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      if (!HOP_BY_HOP.has(name) && !res.hasHeader(name)) out[name] = headers[name] as string | string[];
    }
    res.writeHead(statusCode, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytesOut += chunk.length;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error & { code?: string }): void {
    if (!this.sent) {
      // Admitted but never written (the upstream could not be reached): it still counts.
      this.sent = true;
      this.onSend();
    }
    if (this.res.headersSent) this.res.destroy(error);
    const timedOut = error.code === "UND_ERR_HEADERS_TIMEOUT" || error.code === "UND_ERR_BODY_TIMEOUT";
    this.finish(error.code ?? error.message, timedOut);
  }

  private finish(error?: string, timedOut?: boolean): void {
    if (this.finished) return;
    this.finished = true;
    const upstreamLatencyMs =
      Math.round((this.upstreamLatencyMs || performance.now() - this.started) * 1000) / 1000;
    this.done({ status: this.status, bytesOut: this.bytesOut, upstreamLatencyMs, error, timedOut });
  }
}
