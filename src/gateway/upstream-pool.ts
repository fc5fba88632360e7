import { isIP, type Socket, connect as tcpConnect } from "node:net";
import type { Readable } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { writeWithHead } from "./http-server.js";
import {
  type ResponseHeaders,
  ResponseParseError,
  ResponseParser,
  type ResponseSink,
} from "./response-parser.js";

/**
 * The gateway's HTTP/1.1 client: a keep-alive connection pool per upstream origin.
 *
 * It is written for the proxy's one job, which is why it is not undici: a request goes out as
 * one write of a prepared head, the response is parsed in place (`response-parser.ts`) and
 * handed to the handler as it arrives, and nothing else runs per request. Measured on the
 * benchmark machine, a proxy on this client costs about half the CPU of one on undici's
 * dispatcher (docs/benchmarks.md).
 */

export interface UpstreamRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  /** Header fields for the upstream, each `name: value\r\n`, without host (the pool sets it). */
  headerLines: string;
  /** A body to stream to the upstream, a body read already (sent with the head), or null. */
  body: Readable | Buffer | null;
  /** The body's length is not known: it is sent with chunked transfer coding. */
  chunked: boolean;
  /** Milliseconds without progress (connect, response head, each body chunk) before a TIMEOUT. */
  timeoutMs: number;
}

/** What happens to one request; every method runs at most once, except onData. */
export interface UpstreamHandler {
  /** Runs synchronously just before the request is written; returning false cancels it. */
  onSend(): boolean;
  onHead(status: number, headers: ResponseHeaders): void;
  /** A piece of the response body; return false to pause until `exchange.resume()`. */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  onError(error: UpstreamError): void;
}

export type UpstreamErrorCode =
  | "TIMEOUT"
  | "INVALID_RESPONSE"
  | "CONNECTION_CLOSED"
  | "CANCELLED"
  | "ABORTED"
  | "REQUEST_BODY"
  | string;

export class UpstreamError extends Error {
  constructor(
    message: string,
    /** A socket error code (ECONNREFUSED, ECONNRESET, ...) or one of the pool's own. */
    readonly code: UpstreamErrorCode,
  ) {
    super(message);
  }
}

export interface UpstreamPoolOptions {
  /** Connections to one origin at most; further requests wait for a free one. */
  maxConnections?: number;
  /** How long an idle connection is kept, ms (shortened by the server's Keep-Alive timeout). */
  idleTimeoutMs?: number;
  /** Certificate authorities trusted for https upstreams instead of Node's defaults (NODE_EXTRA_CA_CERTS adds to those). */
  ca?: string | Buffer;
}

/** One request in flight: its response goes to the handler. */
export class Exchange implements ResponseSink {
  connection?: Connection;
  private sent = false;
  private settled = false;
  private retried = false;
  private requestDone: boolean;
  /** Stops streaming the request body (set while it streams). */
  private stopBody?: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pool: UpstreamPool,
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
  ) {
    this.requestDone = request.body === null || Buffer.isBuffer(request.body);
    // One timer for the whole exchange: armed at dispatch (covers waiting for a connection and
    // connecting), refreshed by every piece of the response.
    this.timer = setTimeout(() => this.timedOut(), request.timeoutMs);
  }

  /** Writes the request on `connection`. */
  start(connection: Connection): void {
    if (this.settled) {
      this.pool.release(connection);
      return;
    }
    if (!this.sent) {
      this.sent = true;
      if (!this.handler.onSend()) {
        this.fail(new UpstreamError("the request was cancelled before it was sent", "CANCELLED"));
        this.pool.release(connection);
        return;
      }
    }
    this.connection = connection;
    connection.assign(this);
    const { request } = this;
    const head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${this.pool.host}\r\n${request.headerLines}${request.chunked ? "transfer-encoding: chunked\r\n" : ""}\r\n`;
    const socket = connection.socket;
    if (Buffer.isBuffer(request.body)) writeWithHead(socket, head, request.body);
    else {
      socket.write(head, "latin1");
      if (request.body) this.streamBody(socket, request.body, request.chunked);
    }
  }

  private streamBody(socket: Socket, body: Readable, chunked: boolean): void {
    const onData = (chunk: Buffer) => {
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
        socket.write(chunk);
        ok = socket.write("\r\n", "latin1");
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) {
        body.pause();
        socket.once("drain", () => body.resume());
      }
    };
    const onEnd = () => {
      this.stopBody?.();
      if (chunked) socket.write("0\r\n\r\n", "latin1");
      this.requestDone = true;
    };
    const onError = () => {
      this.fail(new UpstreamError("the client's request body broke off", "REQUEST_BODY"));
      this.dropConnection();
    };
    this.stopBody = () => {
      this.stopBody = undefined;
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onError);
      body.off("aborted", onError);
    };
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("error", onError);
    body.once("aborted", onError);
  }

  head(status: number, headers: ResponseHeaders): void {
    if (this.settled) return;
    this.timer.refresh();
    this.handler.onHead(status, headers);
  }

  body(chunk: Buffer): void {
    if (this.settled) return;
    this.timer.refresh();
    if (!this.handler.onData(chunk)) this.connection?.socket.pause();
  }

  complete(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.handler.onEnd();
    const connection = this.connection;
    this.connection = undefined;
    if (this.requestDone) connection?.release();
    else {
      // The upstream answered before the request body was sent: this connection cannot go on.
      this.stopBody?.();
      connection?.destroy();
    }
  }

  /** Closes the connection under a failed exchange; it is never reused. */
  private dropConnection(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.destroy();
  }

  /** Resumes reading the response after onData returned false. */
  resume(): void {
    this.connection?.socket.resume();
  }

  /** Stops the exchange (the client went away): the connection is closed, the handler told. */
  abort(reason: string): void {
    if (this.settled) return;
    this.pool.unqueue(this);
    this.fail(new UpstreamError(reason, "ABORTED"));
    this.dropConnection();
  }

  /** The connection failed under this exchange. */
  connectionFailed(error: UpstreamError, reused: boolean, responseStarted: boolean): void {
    if (this.settled) return;
    this.connection = undefined;
    // A kept-alive connection the server closed just as we wrote: nothing was processed, so a
    // request without a body is sent once more on a fresh connection (it is counted once).
    if (reused && !responseStarted && this.request.body === null && !this.retried) {
      this.retried = true;
      this.pool.enqueue(this, true);
      return;
    }
    this.fail(error);
  }

  private timedOut(): void {
    if (this.settled) return;
    this.pool.unqueue(this);
    this.fail(new UpstreamError(`no answer within ${this.request.timeoutMs} ms`, "TIMEOUT"));
    this.dropConnection();
  }

  fail(error: UpstreamError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.stopBody?.();
    this.handler.onError(error);
  }
}

/** One TCP (or TLS) connection to the upstream, carrying one exchange at a time. */
class Connection {
  readonly parser: ResponseParser;
  exchange?: Exchange;
  /** It has carried a request before (so the server may have closed it meanwhile). */
  reused = false;
  idleSince = 0;
  idleTimeoutMs: number;
  private destroyed = false;

  constructor(
    private readonly pool: UpstreamPool,
    readonly socket: Socket,
  ) {
    this.idleTimeoutMs = pool.idleTimeoutMs;
    this.parser = new ResponseParser({ head() {}, body() {}, complete() {} });
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => this.onData(data));
    socket.on("end", () => this.onEnd());
    socket.on("error", (error: NodeJS.ErrnoException) =>
      this.lost(new UpstreamError(error.message, error.code ?? "CONNECTION_ERROR")),
    );
    socket.on("close", () =>
      this.lost(new UpstreamError("the upstream closed the connection", "CONNECTION_CLOSED")),
    );
  }

  assign(exchange: Exchange): void {
    this.exchange = exchange;
    this.parser.reset(exchange, exchange.request.method === "HEAD");
  }

  private onData(data: Buffer): void {
    if (!this.exchange) {
      // Bytes while idle: the server is broken or closing; never reuse this connection.
      this.destroy();
      return;
    }
    try {
      this.parser.execute(data);
    } catch (error) {
      this.exchange?.fail(
        new UpstreamError(
          `invalid response from the upstream: ${(error as Error).message}`,
          error instanceof ResponseParseError ? error.code : "INVALID_RESPONSE",
        ),
      );
      this.destroy();
    }
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange) {
      try {
        this.parser.end(); // completes a body that runs until the connection closes
      } catch {
        // lost() below reports it
      }
    }
    this.destroy();
  }

  /** The exchange is done with this connection: keep it for the next, or close it. */
  release(): void {
    const parser = this.parser;
    this.exchange = undefined;
    if (this.destroyed) return;
    if (!parser.keepAlive || !parser.done) {
      this.destroy();
      return;
    }
    if (parser.keepAliveTimeoutS !== undefined) {
      // Leave a second of margin before the server's own timeout.
      this.idleTimeoutMs = Math.min(
        this.pool.idleTimeoutMs,
        Math.max(0, parser.keepAliveTimeoutS * 1000 - 1000),
      );
    }
    this.reused = true;
    this.socket.resume();
    this.pool.release(this);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.socket.destroy();
    this.pool.forget(this);
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange?.connectionFailed(
      new UpstreamError("the upstream closed the connection", "CONNECTION_CLOSED"),
      this.reused,
      this.parser.started,
    );
  }

  private lost(error: UpstreamError): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    const reused = this.reused;
    const started = this.parser.started;
    if (!this.destroyed) {
      this.destroyed = true;
      this.socket.destroy();
      this.pool.forget(this);
    }
    exchange?.connectionFailed(error, reused, started);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** Keep-alive connections to one origin (`http://host:port` or `https://host:port`). */
export class UpstreamPool {
  /** The Host header for this origin. */
  readonly host: string;
  readonly idleTimeoutMs: number;
  private readonly hostname: string;
  private readonly port: number;
  private readonly tls: boolean;
  private readonly maxConnections: number;
  private readonly ca?: string | Buffer;
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private open = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(origin: string, options: UpstreamPoolOptions = {}) {
    const url = new URL(origin);
    this.tls = url.protocol === "https:";
    this.hostname = url.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(url.port) || (this.tls ? 443 : 80);
    this.host = url.host;
    this.maxConnections = options.maxConnections ?? 256;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.ca = options.ca;
    this.sweeper = setInterval(() => this.closeIdle(false), Math.min(1000, this.idleTimeoutMs));
    this.sweeper.unref();
  }

  /** Sends a request; its outcome goes to `handler`. */
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): Exchange {
    const exchange = new Exchange(this, request, handler);
    this.enqueue(exchange, false);
    return exchange;
  }

  /** Starts an exchange on an idle connection, a new one, or queues it. */
  enqueue(exchange: Exchange, fresh: boolean): void {
    if (!fresh) {
      let connection = this.idle.pop();
      while (connection?.isDestroyed) connection = this.idle.pop();
      if (connection) {
        exchange.start(connection);
        return;
      }
    }
    if (this.open < this.maxConnections) {
      this.connect(exchange);
      return;
    }
    this.queue.push(exchange);
  }

  unqueue(exchange: Exchange): void {
    const i = this.queue.indexOf(exchange);
    if (i !== -1) this.queue.splice(i, 1);
  }

  /** A connection is free again: the next queued exchange takes it, or it waits idle. */
  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next) {
      next.start(connection);
      return;
    }
    connection.idleSince = Date.now();
    this.idle.push(connection);
  }

  forget(connection: Connection): void {
    this.open--;
    const i = this.idle.indexOf(connection);
    if (i !== -1) this.idle.splice(i, 1);
    // A slot freed: a queued exchange may open a connection of its own.
    const next = this.queue.shift();
    if (next) this.connect(next);
  }

  private connect(exchange: Exchange): void {
    this.open++;
    const socket = this.tls
      ? tlsConnect({
          host: this.hostname,
          port: this.port,
          servername: isIP(this.hostname) ? undefined : this.hostname,
          ALPNProtocols: ["http/1.1"],
          ...(this.ca ? { ca: this.ca } : {}),
        })
      : tcpConnect({ host: this.hostname, port: this.port });
    const connection = new Connection(this, socket);
    // Until it is connected, the connection's failure is this exchange's.
    connection.exchange = exchange;
    socket.once(this.tls ? "secureConnect" : "connect", () => {
      connection.exchange = undefined;
      exchange.start(connection);
    });
  }

  /** Closes idle connections past their idle timeout (all of them when `all`). */
  closeIdle(all: boolean): void {
    const now = Date.now();
    for (const connection of [...this.idle]) {
      if (all || now - connection.idleSince >= connection.idleTimeoutMs) connection.destroy();
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.closeIdle(true);
  }
}

/** Pools by origin. */
export class Upstreams {
  private readonly pools = new Map<string, UpstreamPool>();

  constructor(private readonly options: UpstreamPoolOptions = {}) {}

  get(origin: string): UpstreamPool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new UpstreamPool(origin, this.options);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}
