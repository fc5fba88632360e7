/**
 * An HTTP/1.1 response parser for upstream connections (RFC 9112): status line and header
 * fields, then the body framed by Content-Length, chunked Transfer-Encoding, or the end of the
 * connection. It reads from the socket's own buffers and hands out views of them, so a
 * response is parsed without copying its body. Every header field is checked here (a token for
 * name, no control characters in the value), so the gateway passes them on as they are.
 */

import { fieldValue, isFieldName, isFieldValue, lowerCaseName } from "./header-fields.js";
import { BodyReader } from "./message-body.js";

/**
 * A response's header fields in order, lower-case name and value alternating, each checked;
 * a repeated field appears once per line it came on.
 */
export type ResponseHeaders = string[];

/** What the parser reports; `body` views are valid for as long as the caller keeps them. */
export interface ResponseSink {
  head(status: number, headers: ResponseHeaders): void;
  body(chunk: Buffer): void;
  complete(): void;
}

export class ResponseParseError extends Error {
  readonly code = "INVALID_RESPONSE";
}

/** Largest response head accepted, bytes (Node's own default is 16 KiB). */
export const MAX_HEAD_BYTES = 32 * 1024;
const CRLF_CRLF = Buffer.from("\r\n\r\n");

export class ResponseParser {
  /** False once the head is read: then the body reader has the bytes. */
  private inHead = true;
  /** Bytes of an incomplete head. */
  private partial: Buffer | undefined;
  private readonly bodyReader: BodyReader;
  private noBody = false;
  /** False when the connection cannot carry another request after this response. */
  keepAlive = true;
  /** The server's Keep-Alive `timeout`, seconds, when it sent one. */
  keepAliveTimeoutS: number | undefined;
  /** True once any byte of the response arrived (a request that got none may be retried). */
  started = false;

  constructor(private sink: ResponseSink) {
    this.bodyReader = new BodyReader(sink, (message) => new ResponseParseError(message));
  }

  /** Starts a new response; `noBody` for the answer to HEAD. */
  reset(sink: ResponseSink, noBody: boolean): void {
    this.sink = sink;
    this.inHead = true;
    this.bodyReader.reset();
    this.partial = undefined;
    this.noBody = noBody;
    this.keepAlive = true;
    this.keepAliveTimeoutS = undefined;
    this.started = false;
  }

  get done(): boolean {
    return this.bodyReader.done;
  }

  /**
   * Parses the next bytes from the connection. Throws ResponseParseError on a malformed
   * response; bytes after a complete response also throw (no request was pipelined).
   */
  execute(data: Buffer): void {
    this.started = true;
    let at = 0;
    while (at < data.length) {
      if (this.inHead) at = this.readHead(data, at);
      else if (this.bodyReader.done) throw new ResponseParseError("data after the end of the response");
      else at = this.bodyReader.read(data, at);
    }
  }

  /** The connection ended: completes a body that runs until close, and fails anything else. */
  end(): void {
    if (this.inHead || !this.bodyReader.end())
      throw new ResponseParseError("the connection closed before the response was complete");
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

    const headers: ResponseHeaders = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = false;
    let keepAlive = false;
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
      const name = lowerCaseName(text, pos, colon);
      if (!isFieldName(name)) throw new ResponseParseError("malformed header field name");
      const value = fieldValue(text, colon + 1, eol);
      if (!isFieldValue(value)) throw new ResponseParseError(`invalid character in header field ${name}`);
      pos = eol + 2;
      headers.push(name, value);
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
          if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) close = true;
          if (/(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(value)) keepAlive = true;
          break;
        case "keep-alive": {
          const m = /timeout=(\d+)/i.exec(value);
          if (m) this.keepAliveTimeoutS = Number(m[1]);
          break;
        }
      }
    }

    if (status < 200) {
      // Informational (100 Continue, 103 Early Hints): the final head follows.
      if (status === 101) throw new ResponseParseError("the upstream switched protocols");
      return;
    }
    this.keepAlive = http10 ? keepAlive && !close : !close;
    this.sink.head(status, headers);
    this.inHead = false;
    const body = this.bodyReader;
    if (this.noBody || status === 204 || status === 304) body.byLength(this.sink, 0);
    else if (transferEncoding) {
      if (chunked) body.chunked(this.sink);
      else {
        body.untilClose(this.sink);
        this.keepAlive = false;
      }
      // A message with both is a smuggling attempt or a broken server: never reuse the connection.
      if (contentLength !== -1) this.keepAlive = false;
    } else if (contentLength !== -1) body.byLength(this.sink, contentLength);
    else {
      body.untilClose(this.sink);
      this.keepAlive = false;
    }
  }
}

/** The fields as an object by name: repeated ones joined with ", ", Set-Cookie kept as a list. */
export function headerRecord(headers: ResponseHeaders): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const seen = record[name];
    if (seen === undefined) record[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else record[name] = name === "set-cookie" ? [seen, value] : `${seen}, ${value}`;
  }
  return record;
}
