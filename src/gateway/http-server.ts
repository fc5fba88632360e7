import { EventEmitter } from "node:events";
import { STATUS_CODES } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { Readable } from "node:stream";
import { fieldValue, isFieldName, isFieldValue, isToken, lowerCaseName } from "./header-fields.js";
import { BodyReader, type BodySink } from "./message-body.js";

/**
 * The gateway's HTTP/1.1 server (RFC 9112), written for the proxy's one job as its upstream
 * client is (`upstream-pool.ts`): a request head is parsed in place from the socket's bytes into
 * the raw header list the gateway reads, a body is framed by `message-body.ts` and streamed, a
 * response head goes out with its body in one write, and deadlines are swept once a second
 * instead of timed per request. node:http does much more per request (its header object, its
 * streams on both sides, a timer per socket) and cost about half of Tollgate's CPU per request
 * (docs/benchmarks.md).
 *
 * Framing is strict where smuggling hides (RFC 9112 §6.3, §11.2): a request with both
 * Content-Length and Transfer-Encoding, a Transfer-Encoding whose last coding is not chunked,
 * conflicting lengths, a malformed field, line folding or a bare LF all get 400 and the
 * connection is closed.
 */

export interface HttpServerLimits {
  /** Time to receive a request's head, ms: a slow sender gets 408. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included, ms. */
  requestTimeoutMs: number;
  /** Largest request head, bytes: larger gets 431. */
  maxHeaderBytes: number;
  /** How long an idle keep-alive connection is kept, ms. */
  keepAliveTimeoutMs: number;
}

export type OutgoingHeaders = Record<string, string | number | readonly string[] | undefined>;

/**
 * Header fields checked already (an upstream's, by the response parser), each `name: value\r\n`,
 * without Connection or Transfer-Encoding; and whether they include Content-Length and Date.
 */
export interface CheckedFields {
  lines: string;
  contentLength: boolean;
  date: boolean;
}

/** A request as the gateway reads it: method, target, raw header list, and the body as a stream. */
export class GatewayRequest {
  /** Header names and values as they came, alternating, names in their original case. */
  readonly rawHeaders: string[];
  /** The names of `rawHeaders`, one per field, lower-cased (common ones are shared constants). */
  readonly headerNames: string[];
  /** The body's stream, made when the head announces a body or someone asks for it. */
  stream: RequestBody | undefined;

  constructor(
    private readonly connection: Connection,
    readonly method: string,
    readonly url: string,
    /** "1.1" or "1.0". */
    readonly httpVersion: string,
    rawHeaders: string[],
    headerNames: string[],
  ) {
    this.rawHeaders = rawHeaders;
    this.headerNames = headerNames;
  }

  get socket(): Socket {
    return this.connection.socket;
  }

  /** The body as a stream (an empty one for a request without a body). */
  body(): Readable {
    if (this.stream === undefined) {
      this.stream = new RequestBody(this.connection);
      this.stream.push(null);
    }
    return this.stream;
  }

  /** Header fields by lower-case name, repeated ones joined with ", " (built on each call). */
  get headers(): Record<string, string> {
    const out: Record<string, string> = {};
    const raw = this.rawHeaders;
    const names = this.headerNames;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const seen = out[name];
      out[name] = seen === undefined ? raw[2 * i + 1]! : `${seen}, ${raw[2 * i + 1]!}`;
    }
    return out;
  }
}

/** A request body as it arrives; reading it resumes the socket that backpressure paused. */
class RequestBody extends Readable {
  constructor(private readonly connection: Connection) {
    super();
  }

  override _read(): void {
    this.connection.socket.resume();
  }
}

/** The answer to one request; it emits "drain" when the client took what was written, "close" when the connection ends. */
export class GatewayResponse extends EventEmitter {
  statusCode = 200;
  /** True once writeHead ran (the head is sent with the first body bytes). */
  headersSent = false;
  /** Set false to close the connection after this answer. */
  shouldKeepAlive: boolean;
  /** True once end ran, or the server answered for it (a deadline passed). */
  finished = false;
  private head = "";
  private chunked = false;
  private noBody: boolean;

  constructor(
    private readonly connection: Connection,
    keepAlive: boolean,
    private readonly http10: boolean,
    isHead: boolean,
  ) {
    super();
    this.shouldKeepAlive = keepAlive;
    this.noBody = isHead;
  }

  /**
   * Prepares the head from `checked` fields, written as they are, and `headers`, which it checks:
   * it throws (as node:http does) on a header name or value that is not valid HTTP.
   */
  writeHead(status: number, headers?: OutgoingHeaders, checked?: CheckedFields): this {
    if (this.headersSent) throw new Error("The response head was sent already");
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
    let length = false;
    let date = false;
    if (checked !== undefined) {
      head += checked.lines;
      length = checked.contentLength;
      date = checked.date;
    }
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (!isFieldName(name)) throw new TypeError(`Invalid header name "${name}"`);
      const lower =
        name.length === 14 || name.length === 10 || name.length === 17 || name.length === 4
          ? name.toLowerCase()
          : "";
      if (lower === "content-length") length = true;
      else if (lower === "transfer-encoding")
        continue; // the framing is the server's own
      else if (lower === "date") date = true;
      else if (lower === "connection") {
        if (/\bclose\b/i.test(String(value))) this.shouldKeepAlive = false;
        continue;
      }
      if (typeof value === "object") {
        for (const v of value) head += headerLine(name, v);
      } else head += headerLine(name, typeof value === "string" ? value : String(value));
    }
    if (!date) head += dateLine();
    if (status === 204 || status === 304 || status < 200) this.noBody = true;
    else if (!length && !this.noBody) {
      // No length: chunked for HTTP/1.1; an HTTP/1.0 client reads until the connection closes.
      if (this.http10) this.shouldKeepAlive = false;
      else {
        this.chunked = true;
        head += "transfer-encoding: chunked\r\n";
      }
    }
    if (this.connection.closing) this.shouldKeepAlive = false;
    if (!this.shouldKeepAlive) head += "connection: close\r\n";
    else if (this.http10) head += "connection: keep-alive\r\n";
    this.statusCode = status;
    this.head = `${head}\r\n`;
    this.headersSent = true;
    return this;
  }

  /** Writes body bytes; false when the client is slow (wait for "drain"). */
  write(chunk: Buffer | string): boolean {
    if (this.finished) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    return this.send(chunk, false);
  }

  end(chunk?: Buffer | string): void {
    if (this.finished) return;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.send(chunk, true);
    this.finished = true;
    this.connection.responded(this);
  }

  /** Closes the connection at once (an answer that broke off midway). */
  destroy(_error?: Error): void {
    this.finished = true;
    this.connection.socket.destroy();
  }

  private send(chunk: Buffer | string | undefined, last: boolean): boolean {
    const socket = this.connection.socket;
    const head = this.head;
    this.head = "";
    const body = this.noBody || chunk === undefined || chunk.length === 0 ? undefined : chunk;
    if (!this.chunked) {
      if (body === undefined) return head ? socket.write(head, "latin1") : true;
      if (!head) return socket.write(body);
      return writeWithHead(socket, head, body);
    }
    const size = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
    let framing = head;
    if (size > 0) framing += `${size.toString(16)}\r\n`;
    if (body === undefined) return socket.write(last ? `${framing}0\r\n\r\n` : framing, "latin1");
    socket.cork();
    socket.write(framing, "latin1");
    socket.write(body);
    const ok = socket.write(last ? "\r\n0\r\n\r\n" : "\r\n", "latin1");
    socket.uncork();
    return ok;
  }
}

/** Bodies up to this size go out in one string with their head (see writeWithHead). */
const ONE_WRITE_MAX_BYTES = 16 * 1024;

/**
 * Writes a head and the body after it. A small Buffer body is appended to the head as latin1,
 * which maps each byte to one character and back, so both go out in one plain write: cheaper
 * in Node than the corked pair, which takes the writev path.
 */
export function writeWithHead(socket: Socket, head: string, body: Buffer | string): boolean {
  if (typeof body !== "string" && body.length <= ONE_WRITE_MAX_BYTES)
    return socket.write(head + body.toString("latin1"), "latin1");
  socket.cork();
  socket.write(head, "latin1");
  const ok = socket.write(body);
  socket.uncork();
  return ok;
}

export type RequestListener = (req: GatewayRequest, res: GatewayResponse) => void;

/** An answer the server gives itself, before the gateway sees a request. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Methods read as these constants (see lowerCaseName): no new string, no hashing. */
const KNOWN_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const CRLF_CRLF = Buffer.from("\r\n\r\n");
/** Pipelined bytes kept while a response is pending, before the socket stops reading. */
const MAX_PIPELINED_BYTES = 64 * 1024;

/**
 * Renders header fields once for writeHead to write as they are (a cached answer's stored fields,
 * written on every hit); undefined when one is not valid HTTP or is one writeHead acts on
 * (Connection, Transfer-Encoding), so the caller passes them to writeHead's own checks instead.
 */
export function renderFields(headers: Record<string, string | readonly string[]>): CheckedFields | undefined {
  let lines = "";
  let contentLength = false;
  let date = false;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (!isFieldName(name) || lower === "connection" || lower === "transfer-encoding") return undefined;
    if (lower === "content-length") contentLength = true;
    else if (lower === "date") date = true;
    const value = headers[name]!;
    for (const v of typeof value === "string" ? [value] : value) {
      if (!isFieldValue(v)) return undefined;
      lines += `${name}: ${v}\r\n`;
    }
  }
  return { lines, contentLength, date };
}

function headerLine(name: string, value: string): string {
  if (!isFieldValue(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
  return `${name}: ${value}\r\n`;
}

let dateSecond = 0;
let dateText = "";
/** The Date field, made once a second. */
function dateLine(): string {
  const now = Date.now();
  const second = now - (now % 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = `date: ${new Date(second).toUTCString()}\r\n`;
  }
  return dateText;
}

/** The head's framing and the fields the server itself acts on. */
interface ParsedHead {
  method: string;
  url: string;
  http10: boolean;
  rawHeaders: string[];
  headerNames: string[];
  /** -1: no Content-Length. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
}

/** Parses a request head (without its final CRLF CRLF); throws HttpError when it is not valid HTTP/1.1. */
function parseHead(text: string): ParsedHead {
  const lineEnd = text.indexOf("\r\n");
  const requestLine = lineEnd === -1 ? text : text.slice(0, lineEnd);
  const sp1 = requestLine.indexOf(" ");
  const sp2 = requestLine.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 === -1) throw new HttpError(400, "Malformed request line");
  const known = KNOWN_METHODS.find((m) => m.length === sp1 && requestLine.startsWith(m));
  const method = known ?? requestLine.slice(0, sp1);
  if (known === undefined && !isToken(method)) throw new HttpError(400, "Malformed method");
  let url = requestLine.slice(sp1 + 1, sp2);
  const version = requestLine.slice(sp2 + 1);
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    if (/^HTTP\/\d(\.\d)?$/.test(version)) throw new HttpError(505, `${version} is not supported`);
    throw new HttpError(400, "Malformed request line");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
  if (/[\x00-\x20\x7f]/.test(url)) throw new HttpError(400, "Malformed request target");
  let authority: string | undefined;
  if (url.charCodeAt(0) !== 47 /* / */) {
    // The absolute form (RFC 9112 §3.2.2): its authority replaces Host.
    const absolute = /^https?:\/\/([^/?#]+)([^#]*)$/i.exec(url);
    if (absolute) {
      authority = absolute[1]!;
      url = absolute[2] || "/";
      if (url.charCodeAt(0) !== 47) url = `/${url}`;
    } else if (url !== "*" || method !== "OPTIONS") throw new HttpError(400, "Malformed request target");
  }
  const http10 = version === "HTTP/1.0";

  const rawHeaders: string[] = [];
  const headerNames: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection = "";
  let hosts = 0;
  let expect: string | undefined;
  let pos = lineEnd === -1 ? text.length : lineEnd + 2;
  while (pos < text.length) {
    let eol = text.indexOf("\r\n", pos);
    if (eol === -1) eol = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new HttpError(400, "Obsolete line folding in a header field");
    const colon = text.indexOf(":", pos);
    if (colon === -1 || colon >= eol || colon === pos) throw new HttpError(400, "Malformed header field");
    const lower = lowerCaseName(text, pos, colon);
    if (!isFieldName(lower)) throw new HttpError(400, "Malformed header field name");
    const name = text.slice(pos, colon);
    const value = fieldValue(text, colon + 1, eol);
    if (!isFieldValue(value)) throw new HttpError(400, `Invalid character in header field ${name}`);
    pos = eol + 2;
    rawHeaders.push(name, value);
    headerNames.push(lower);
    // Only the fields that frame the request or steer the connection are read here.
    switch (lower) {
      case "host":
        hosts++;
        break;
      case "content-length": {
        if (!/^\d{1,15}$/.test(value)) throw new HttpError(400, "Invalid Content-Length");
        const length = Number(value);
        if (contentLength !== -1 && contentLength !== length)
          throw new HttpError(400, "Conflicting Content-Length");
        contentLength = length;
        break;
      }
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection ? `${connection},${value.toLowerCase()}` : value.toLowerCase();
        break;
      case "expect":
        expect = value.toLowerCase();
        break;
    }
  }
  if (authority !== undefined) {
    // The absolute form's authority is the host (RFC 9112 §3.2.2).
    for (let i = 0; i < headerNames.length; i++)
      if (headerNames[i] === "host") rawHeaders[2 * i + 1] = authority;
    if (hosts === 0) {
      rawHeaders.push("Host", authority);
      headerNames.push("host");
    }
    hosts = 1;
  }
  if (hosts > 1) throw new HttpError(400, "More than one Host header field");
  if (hosts === 0 && !http10) throw new HttpError(400, "Missing Host header field");
  let chunked = false;
  if (transferEncoding !== undefined) {
    if (contentLength !== -1) throw new HttpError(400, "Both Content-Length and Transfer-Encoding");
    if (http10 || !/(?:^|,)\s*chunked\s*$/i.test(transferEncoding))
      throw new HttpError(400, "Transfer-Encoding must end with chunked");
    chunked = true;
  }
  const tokens = connection ? connection.split(",").map((t) => t.trim()) : [];
  const keepAlive = http10 ? tokens.includes("keep-alive") : !tokens.includes("close");
  if (expect !== undefined && expect !== "100-continue")
    throw new HttpError(417, "Only 100-continue is expected");
  return {
    method,
    url,
    http10,
    rawHeaders,
    headerNames,
    contentLength,
    chunked,
    keepAlive,
    expectContinue: expect !== undefined && !http10 && (chunked || contentLength > 0),
  };
}

/** Where the rest of a body nobody reads any more goes. */
const DISCARD: BodySink = { body() {}, complete() {} };

/** One client connection: parses its requests in turn and writes their answers in order. */
class Connection implements BodySink {
  /** Unparsed bytes: an incomplete head, or requests pipelined behind a pending answer. */
  private pending: Buffer | undefined;
  private readonly bodyReader = new BodyReader(this, (message) => new HttpError(400, message));
  /** The stream of the body being read (undefined once its answer is complete). */
  private bodyOf: RequestBody | undefined;
  private response: GatewayResponse | undefined;
  /** When the current head began to arrive, or 0. */
  headStartedAt = 0;
  /** When the request whose body is still coming began to arrive, or 0. */
  bodyStartedAt = 0;
  /** When the connection last became idle. */
  idleSince: number;
  /** The server is closing: the connection ends after the answer in progress. */
  closing = false;
  /** The client sent FIN: what it sent before is answered, then the connection ends. */
  private clientEnded = false;
  private processing = false;

  constructor(
    readonly socket: Socket,
    private readonly server: GatewayServer,
  ) {
    this.idleSince = server.now;
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => this.onData(data));
    socket.on("drain", () => this.response?.emit("drain"));
    socket.on("error", () => socket.destroy());
    socket.on("end", () => {
      // The client will send nothing more: answer what it sent, then close.
      this.clientEnded = true;
      if (this.idle) socket.end();
    });
    socket.on("close", () => this.onClose());
  }

  get idle(): boolean {
    return this.response === undefined && !this.bodyReader.reading && this.pending === undefined;
  }

  private onData(data: Buffer): void {
    if (this.pending !== undefined) {
      data = Buffer.concat([this.pending, data]);
      this.pending = undefined;
    }
    this.process(data);
  }

  private process(data: Buffer): void {
    this.processing = true;
    try {
      let at = 0;
      while (at < data.length && !this.socket.destroyed) {
        if (this.bodyReader.reading) {
          at = this.bodyReader.read(data, at);
          continue;
        }
        if (this.response !== undefined) {
          // Pipelined: the next request waits for the answer in progress.
          this.pending = Buffer.from(data.subarray(at));
          if (this.pending.length > MAX_PIPELINED_BYTES) this.socket.pause();
          return;
        }
        at = this.readHead(data, at);
      }
    } catch (error) {
      if (error instanceof HttpError) this.reject(error.status, error.message);
      else throw error;
    } finally {
      this.processing = false;
    }
  }

  /** Reads one request head from `data` at `at` and hands the request on; returns where it ended. */
  private readHead(data: Buffer, at: number): number {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (data[at] === 13 && data[at + 1] === 10) at += 2;
    if (at >= data.length) return at;
    const limit = this.server.limits.maxHeaderBytes;
    const end = data.indexOf(CRLF_CRLF, at);
    if (end === -1) {
      if (data.length - at > limit) throw new HttpError(431, "Request header fields too large");
      // A head ended by bare LFs would never be complete (and is refused as the smuggling vector it is).
      if (data.indexOf("\n\n", at) !== -1) throw new HttpError(400, "Bare LF in the request head");
      this.pending = Buffer.from(data.subarray(at));
      if (this.headStartedAt === 0) this.headStartedAt = this.server.now;
      return data.length;
    }
    if (end - at > limit) throw new HttpError(431, "Request header fields too large");
    // A bare CR or LF inside the head fails the checks of the request line, names and values.
    const head = parseHead(data.toString("latin1", at, end));
    // The whole request's deadline counts from its first byte.
    const startedAt = this.headStartedAt || this.server.now;
    this.headStartedAt = 0;
    const req = new GatewayRequest(
      this,
      head.method,
      head.url,
      head.http10 ? "1.0" : "1.1",
      head.rawHeaders,
      head.headerNames,
    );
    const res = new GatewayResponse(
      this,
      head.keepAlive && !this.closing,
      head.http10,
      head.method === "HEAD",
    );
    this.response = res;
    if (head.chunked || head.contentLength > 0) {
      req.stream = new RequestBody(this);
      this.bodyOf = req.stream;
      this.bodyStartedAt = startedAt;
      if (head.chunked) this.bodyReader.chunked(this);
      else this.bodyReader.byLength(this, head.contentLength);
      if (head.expectContinue) this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
    }
    this.server.listener(req, res);
    return end + 4;
  }

  /** BodySink: a piece of the current request's body. */
  body(chunk: Buffer): void {
    // The chunk is a view of the socket's read buffer, which node never reuses.
    if (this.bodyOf !== undefined && !this.bodyOf.push(chunk)) this.socket.pause();
  }

  complete(): void {
    this.bodyStartedAt = 0;
    const req = this.bodyOf;
    this.bodyOf = undefined;
    this.bodyReader.reset();
    req?.push(null);
    // The body's backpressure may have paused the socket on its last piece, and an ended stream
    // never asks for more: read on, or the connection's next request would never be seen.
    if (this.socket.isPaused()) this.socket.resume();
    if (this.response === undefined) this.becameIdle();
  }

  /** The answer to the current request is written. */
  responded(res: GatewayResponse): void {
    if (res !== this.response) return;
    this.response = undefined;
    if (!res.shouldKeepAlive || this.closing) {
      this.socket.end();
      return;
    }
    if (this.bodyReader.reading) {
      // Answered before the body was read (a refusal): the rest of it is read and dropped.
      this.bodyOf = undefined;
      this.bodyReader.redirect(DISCARD);
      this.socket.resume();
      return;
    }
    this.becameIdle();
  }

  private becameIdle(): void {
    this.idleSince = this.server.now;
    const next = this.pending;
    if (next === undefined) {
      if (this.clientEnded) this.socket.end();
      return;
    }
    this.socket.resume();
    if (this.processing) return; // the loop that called the listener goes on with its bytes
    this.pending = undefined;
    this.process(next);
  }

  /** Answers a request the server refuses itself, and closes the connection. */
  reject(status: number, message: string): void {
    this.pending = undefined;
    this.closing = true;
    // An answer in progress is finished by this one (the gateway's later writes do nothing); it
    // hears "close" with the connection.
    const inProgress = this.response;
    if (inProgress !== undefined) {
      inProgress.finished = true;
      if (inProgress.headersSent) {
        this.socket.destroy();
        return;
      }
    }
    const body = JSON.stringify({ message });
    this.socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-amzn-errortype: ${status === 408 ? "RequestTimeout" : "BadRequestException"}\r\n${dateLine()}connection: close\r\n\r\n${body}`,
    );
    if (this.bodyReader.reading) this.abortBody();
    this.bodyReader.reset();
  }

  /** The server is shutting down: the connection ends after the answer in progress. */
  shutdown(): void {
    this.closing = true;
    if (this.response === undefined && !this.bodyReader.reading) this.socket.end();
  }

  private abortBody(): void {
    const req = this.bodyOf;
    this.bodyOf = undefined;
    if (req === undefined) return;
    req.emit("aborted");
    req.destroy(req.listenerCount("error") > 0 ? new Error("aborted") : undefined);
  }

  private onClose(): void {
    this.server.connections.delete(this);
    if (this.bodyReader.reading) this.abortBody();
    const res = this.response;
    this.response = undefined;
    res?.emit("close");
  }
}

/** The gateway's server: a TCP server whose connections speak HTTP/1.1 to `listener`. */
export class GatewayServer {
  readonly tcp: Server;
  readonly connections = new Set<Connection>();
  /** A coarse clock for deadlines, ms, advanced by the sweep. */
  now = Date.now();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly limits: HttpServerLimits,
    readonly listener: RequestListener,
  ) {
    // Half-open: a client that sends its request and FIN still gets the answer.
    this.tcp = createTcpServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
      this.connections.add(new Connection(socket, this));
    });
    const every = Math.max(10, Math.min(1000, limits.headersTimeoutMs / 4, limits.requestTimeoutMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Answers 408 where a head or body is overdue and closes connections idle too long. */
  private sweep(): void {
    const now = Date.now();
    this.now = now;
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = this.limits;
    for (const c of this.connections) {
      if (c.headStartedAt !== 0 && now - c.headStartedAt > headersTimeoutMs) c.reject(408, "Request timeout");
      else if (c.bodyStartedAt !== 0 && now - c.bodyStartedAt > requestTimeoutMs)
        c.reject(408, "Request timeout");
      else if (c.idle && now - c.idleSince > keepAliveTimeoutMs) c.socket.destroy();
    }
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off("error", reject);
        resolve();
      });
    });
  }

  /** Stops accepting; each connection ends after the answer in progress. Resolves once all are closed. */
  close(): Promise<void> {
    clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const c of this.connections) c.shutdown();
    return closed;
  }
}
