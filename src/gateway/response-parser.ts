/**
 * An HTTP/1.1 response parser for upstream connections (RFC 9112): status line and header
 * fields, then the body framed by Content-Length, chunked Transfer-Encoding, or the end of the
 * connection. It reads from the socket's own buffers and hands out views of them, so a
 * response is parsed without copying its body. Header values are validated again by node:http
 * when they are written to the client; here only what frames the message is checked strictly.
 */

/** What the parser reports; `body` views are valid for as long as the caller keeps them. */
export interface ResponseSink {
  head(status: number, headers: Record<string, string | string[]>): void;
  body(chunk: Buffer): void;
  complete(): void;
}

export class ResponseParseError extends Error {
  readonly code = "INVALID_RESPONSE";
}

/** Largest response head accepted, bytes (Node's own default is 16 KiB). */
export const MAX_HEAD_BYTES = 32 * 1024;
/** Largest chunk-size line (size, extensions, CRLF). */
const MAX_CHUNK_LINE = 1024;

enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

const CRLF_CRLF = Buffer.from("\r\n\r\n");
const CR = 13;
const LF = 10;

export class ResponseParser {
  private state = State.Head;
  /** Bytes of an incomplete head, chunk-size line or trailer section. */
  private partial: Buffer | undefined;
  private remaining = 0;
  private noBody = false;
  /** False when the connection cannot carry another request after this response. */
  keepAlive = true;
  /** The server's Keep-Alive `timeout`, seconds, when it sent one. */
  keepAliveTimeoutS: number | undefined;
  /** True once any byte of the response arrived (a request that got none may be retried). */
  started = false;

  constructor(private sink: ResponseSink) {}

  /** Starts a new response; `noBody` for the answer to HEAD. */
  reset(sink: ResponseSink, noBody: boolean): void {
    this.sink = sink;
    this.state = State.Head;
    this.partial = undefined;
    this.noBody = noBody;
    this.keepAlive = true;
    this.keepAliveTimeoutS = undefined;
    this.started = false;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Parses the next bytes from the connection. Throws ResponseParseError on a malformed
   * response; bytes after a complete response also throw (no request was pipelined).
   */
  execute(data: Buffer): void {
    this.started = true;
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(data, at);
          break;
        case State.Length: {
          const take = Math.min(this.remaining, data.length - at);
          this.remaining -= take;
          this.sink.body(at === 0 && take === data.length ? data : data.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case State.UntilClose:
          this.sink.body(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case State.ChunkSize:
          at = this.readChunkSize(data, at);
          break;
        case State.ChunkData: {
          const take = Math.min(this.remaining, data.length - at);
          this.remaining -= take;
          this.sink.body(data.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) {
            this.state = State.ChunkEnd;
            this.remaining = 2;
          }
          break;
        }
        case State.ChunkEnd:
          // The CRLF after a chunk's data.
          if (data[at] !== (this.remaining === 2 ? CR : LF))
            throw new ResponseParseError("malformed chunk end");
          at++;
          if (--this.remaining === 0) this.state = State.ChunkSize;
          break;
        case State.Trailers:
          at = this.readTrailers(data, at);
          break;
        case State.Done:
          throw new ResponseParseError("data after the end of the response");
      }
    }
  }

  /** The connection ended: completes a body that runs until close, and fails anything else. */
  end(): void {
    if (this.state === State.UntilClose) {
      this.finish();
      return;
    }
    if (this.state !== State.Done)
      throw new ResponseParseError("the connection closed before the response was complete");
  }

  private finish(): void {
    this.state = State.Done;
    this.sink.complete();
  }

  private readHead(data: Buffer, at: number): number {
    let buf = data;
    let from = at;
    if (this.partial) {
      buf = Buffer.concat([this.partial, data.subarray(at)]);
      from = 0;
    }
    const end = buf.indexOf(CRLF_CRLF, from);
    if (end === -1) {
      if (buf.length - from > MAX_HEAD_BYTES) throw new ResponseParseError("response head too large");
      this.partial = from === 0 && buf !== data ? buf : Buffer.from(buf.subarray(from));
      return data.length;
    }
    if (end - from > MAX_HEAD_BYTES) throw new ResponseParseError("response head too large");
    const consumedOfBuf = end + 4;
    // Where parsing resumes in `data`: past the head, which may have begun in `partial`.
    const next = this.partial ? consumedOfBuf - this.partial.length + at : consumedOfBuf;
    this.partial = undefined;
    this.parseHead(buf.toString("latin1", from, end));
    return next;
  }

  private parseHead(text: string): void {
    // Status line: HTTP/1.x SSS [reason]
    const lineEnd = text.indexOf("\r\n");
    const statusLine = lineEnd === -1 ? text : text.slice(0, lineEnd);
    if (
      statusLine.length < 12 ||
      !statusLine.startsWith("HTTP/1.") ||
      (statusLine[7] !== "1" && statusLine[7] !== "0") ||
      statusLine[8] !== " " ||
      (statusLine.length > 12 && statusLine[12] !== " ")
    ) {
      throw new ResponseParseError("malformed status line");
    }
    const code = statusLine.slice(9, 12);
    if (!/^[1-9]\d\d$/.test(code)) throw new ResponseParseError("malformed status code");
    const status = Number(code);
    const http10 = statusLine[7] === "0";

    const headers: Record<string, string | string[]> = {};
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let connection = "";
    let pos = lineEnd === -1 ? text.length : lineEnd + 2;
    while (pos < text.length) {
      let eol = text.indexOf("\r\n", pos);
      if (eol === -1) eol = text.length;
      const colon = text.indexOf(":", pos);
      if (colon === -1 || colon >= eol || colon === pos)
        throw new ResponseParseError("malformed header field");
      const first = text.charCodeAt(pos);
      if (first === 32 || first === 9)
        throw new ResponseParseError("obsolete line folding in a header field");
      const name = text.slice(pos, colon).toLowerCase();
      const value = text.slice(colon + 1, eol).trim();
      pos = eol + 2;
      switch (name) {
        case "content-length": {
          if (!/^\d+$/.test(value)) throw new ResponseParseError("invalid Content-Length");
          const n = Number(value);
          if (contentLength !== -1 && contentLength !== n)
            throw new ResponseParseError("conflicting Content-Length");
          contentLength = n;
          break;
        }
        case "transfer-encoding":
          transferEncoding = true;
          // Chunked must be the final coding for the body to be chunk-framed.
          chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
          break;
        case "connection":
          connection = connection ? `${connection},${value.toLowerCase()}` : value.toLowerCase();
          break;
        case "keep-alive": {
          const m = /timeout=(\d+)/i.exec(value);
          if (m) this.keepAliveTimeoutS = Number(m[1]);
          break;
        }
      }
      const seen = headers[name];
      if (seen === undefined) headers[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else headers[name] = name === "set-cookie" ? [seen, value] : `${seen}, ${value}`;
    }

    if (status < 200) {
      // Informational (100 Continue, 103 Early Hints): the final head follows.
      if (status === 101) throw new ResponseParseError("the upstream switched protocols");
      return;
    }
    const tokens = connection ? connection.split(",").map((t) => t.trim()) : [];
    this.keepAlive = http10 ? tokens.includes("keep-alive") : !tokens.includes("close");
    this.sink.head(status, headers);
    if (this.noBody || status === 204 || status === 304) {
      this.state = State.Done;
      this.sink.complete();
    } else if (transferEncoding) {
      if (chunked) this.state = State.ChunkSize;
      else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
      // A message with both is a smuggling attempt or a broken server: never reuse the connection.
      if (contentLength !== -1) this.keepAlive = false;
    } else if (contentLength !== -1) {
      this.remaining = contentLength;
      if (contentLength === 0) this.finish();
      else this.state = State.Length;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
  }

  private readChunkSize(data: Buffer, at: number): number {
    const lf = data.indexOf(LF, at);
    if (lf === -1) {
      this.partial = this.partial
        ? Buffer.concat([this.partial, data.subarray(at)])
        : Buffer.from(data.subarray(at));
      if (this.partial.length > MAX_CHUNK_LINE) throw new ResponseParseError("chunk size line too long");
      return data.length;
    }
    let line = data.toString("latin1", at, lf);
    if (this.partial) {
      line = this.partial.toString("latin1") + line;
      this.partial = undefined;
    }
    if (line.length > MAX_CHUNK_LINE) throw new ResponseParseError("chunk size line too long");
    if (!line.endsWith("\r")) throw new ResponseParseError("malformed chunk size line");
    const semicolon = line.indexOf(";");
    const hex = (semicolon === -1 ? line.slice(0, -1) : line.slice(0, semicolon)).trimEnd();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ResponseParseError("invalid chunk size");
    const size = Number.parseInt(hex, 16);
    if (size === 0) this.state = State.Trailers;
    else {
      this.state = State.ChunkData;
      this.remaining = size;
    }
    return lf + 1;
  }

  /** Trailer fields after the last chunk, up to an empty line; they are not passed on. */
  private readTrailers(data: Buffer, at: number): number {
    let pos = at;
    for (;;) {
      const lf = data.indexOf(LF, pos);
      if (lf === -1) {
        this.partial = this.partial
          ? Buffer.concat([this.partial, data.subarray(pos)])
          : Buffer.from(data.subarray(pos));
        if (this.partial.length > MAX_HEAD_BYTES) throw new ResponseParseError("trailer section too large");
        return data.length;
      }
      const lineLength = lf - pos + (this.partial?.length ?? 0);
      this.partial = undefined;
      pos = lf + 1;
      if (lineLength <= 1) {
        // "\r\n" (or a bare "\n"): the end of the message.
        this.finish();
        return pos;
      }
    }
  }
}
