/**
 * The body of an HTTP/1.1 message as RFC 9112 §6 frames it: a Content-Length, chunked
 * Transfer-Encoding, or (responses only) the end of the connection. The gateway's server reads
 * request bodies with it and its upstream client reads response bodies; both hand it the
 * socket's own buffers, and it hands out views of them, so a body is framed without copying.
 */

/** Where a body goes; `body` views are valid for as long as the receiver keeps them. */
export interface BodySink {
  body(chunk: Buffer): void;
  complete(): void;
}

/** Largest chunk-size line (size, extensions, CRLF). */
const MAX_CHUNK_LINE = 1024;
/** Largest trailer section after the last chunk. */
const MAX_TRAILER_BYTES = 32 * 1024;
const CR = 13;
const LF = 10;

enum State {
  None,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

export class BodyReader {
  private state = State.None;
  private remaining = 0;
  /** Bytes of an incomplete chunk-size line or trailer section. */
  private partial: Buffer | undefined;

  constructor(
    private sink: BodySink,
    /** Makes the error a malformed body is reported with (each side has its own). */
    private readonly error: (message: string) => Error,
  ) {}

  /** Frames the next body by its length (0: complete at once). */
  byLength(sink: BodySink, length: number): void {
    this.begin(sink);
    this.remaining = length;
    if (length === 0) this.finish();
    else this.state = State.Length;
  }

  chunked(sink: BodySink): void {
    this.begin(sink);
    this.state = State.ChunkSize;
  }

  untilClose(sink: BodySink): void {
    this.begin(sink);
    this.state = State.UntilClose;
  }

  /** True while a body is being read. */
  get reading(): boolean {
    return this.state !== State.None && this.state !== State.Done;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Stops the current body: nothing more reaches its sink. */
  reset(): void {
    this.state = State.None;
    this.partial = undefined;
  }

  /** Where the sink's bytes go from now on (the rest of a body nobody reads any more). */
  redirect(sink: BodySink): void {
    this.sink = sink;
  }

  /**
   * Reads body bytes of `data` from `at`; returns where the body ended in `data`, or
   * data.length when it goes on. Throws on a malformed chunked body.
   */
  read(data: Buffer, at: number): number {
    while (at < data.length) {
      switch (this.state) {
        case State.Length: {
          const take = Math.min(this.remaining, data.length - at);
          this.remaining -= take;
          this.sink.body(at === 0 && take === data.length ? data : data.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) {
            this.finish();
            return at;
          }
          break;
        }
        case State.UntilClose:
          this.sink.body(at === 0 ? data : data.subarray(at));
          return data.length;
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
          if (data[at] !== (this.remaining === 2 ? CR : LF)) throw this.error("malformed chunk end");
          at++;
          if (--this.remaining === 0) this.state = State.ChunkSize;
          break;
        case State.Trailers:
          at = this.readTrailers(data, at);
          if (this.done) return at;
          break;
        default:
          return at;
      }
    }
    return at;
  }

  /** The connection ended: completes a body that runs until close; false if one was cut off. */
  end(): boolean {
    if (this.state === State.UntilClose) this.finish();
    return !this.reading;
  }

  private begin(sink: BodySink): void {
    this.sink = sink;
    this.partial = undefined;
  }

  private finish(): void {
    this.state = State.Done;
    this.sink.complete();
  }

  /** Keeps the rest of `data` from `at`, an incomplete line, for the next bytes; at most `max` bytes of it. */
  private keep(data: Buffer, at: number, max: number, tooLong: string): void {
    this.partial = this.partial
      ? Buffer.concat([this.partial, data.subarray(at)])
      : Buffer.from(data.subarray(at));
    if (this.partial.length > max) throw this.error(tooLong);
  }

  private readChunkSize(data: Buffer, at: number): number {
    const lf = data.indexOf(LF, at);
    if (lf === -1) {
      this.keep(data, at, MAX_CHUNK_LINE, "chunk size line too long");
      return data.length;
    }
    let line = data.toString("latin1", at, lf);
    if (this.partial) {
      line = this.partial.toString("latin1") + line;
      this.partial = undefined;
    }
    if (line.length > MAX_CHUNK_LINE) throw this.error("chunk size line too long");
    if (!line.endsWith("\r")) throw this.error("malformed chunk size line");
    const semicolon = line.indexOf(";");
    const hex = (semicolon === -1 ? line.slice(0, -1) : line.slice(0, semicolon)).trimEnd();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw this.error("invalid chunk size");
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
        this.keep(data, pos, MAX_TRAILER_BYTES, "trailer section too large");
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
