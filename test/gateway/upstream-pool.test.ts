import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { createServer as createTlsServer } from "node:tls";
import { headerRecord } from "../../src/gateway/response-parser.js";
import {
  type UpstreamError,
  type UpstreamHandler,
  UpstreamPool,
  type UpstreamPoolOptions,
  type UpstreamRequest,
} from "../../src/gateway/upstream-pool.js";

/**
 * The gateway's HTTP/1.1 client against a raw TCP server that answers exactly the bytes a test
 * gives it, so framing, reuse and failures are exercised as they arrive on the wire.
 */

interface RawServer {
  origin: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Every request head received, in order. */
  heads: string[];
  bodies: Buffer[];
  close(): Promise<void>;
}

type Answer = (head: string, socket: Socket, body: Buffer) => void;

/** A TCP server that reads one request head (and body when Content-Length or chunked says so) and calls `answer`. */
async function rawServer(
  answer: Answer,
  wrap?: (listener: (s: Socket) => void) => Server,
): Promise<RawServer> {
  let connections = 0;
  const heads: string[] = [];
  const bodies: Buffer[] = [];
  const sockets = new Set<Socket>();
  const listener = (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = buffer.subarray(0, end).toString("latin1");
        const length = /content-length: (\d+)/i.exec(head);
        let body = Buffer.alloc(0);
        let consumed = end + 4;
        if (length) {
          if (buffer.length < consumed + Number(length[1])) return;
          body = buffer.subarray(consumed, consumed + Number(length[1]));
          consumed += Number(length[1]);
        } else if (/transfer-encoding: chunked/i.test(head)) {
          const rest = buffer.subarray(consumed).toString("latin1");
          const last = rest.indexOf("0\r\n\r\n");
          if (last === -1) return;
          body = Buffer.from(rest.slice(0, last + 5), "latin1");
          consumed += last + 5;
        }
        buffer = buffer.subarray(consumed);
        heads.push(head);
        bodies.push(body);
        answer(head, socket, body);
      }
    });
  };
  const server = wrap ? wrap(listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `${wrap ? "https" : "http"}://127.0.0.1:${port}`,
    connections: () => connections,
    heads,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Outcome {
  sends: number;
  status?: number;
  headers?: Record<string, string | string[]>;
  body: Buffer;
  error?: UpstreamError;
}

/** Dispatches one request and resolves with everything the handler saw. */
function send(pool: UpstreamPool, request: Partial<UpstreamRequest> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { sends: 0, body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    const handler: UpstreamHandler = {
      onSend: () => {
        outcome.sends++;
        return true;
      },
      onHead: (status, headers) => {
        outcome.status = status;
        outcome.headers = headerRecord(headers);
      },
      onData: (chunk) => {
        chunks.push(Buffer.from(chunk));
        return true;
      },
      onEnd: () => {
        outcome.body = Buffer.concat(chunks);
        resolve(outcome);
      },
      onError: (error) => {
        outcome.error = error;
        outcome.body = Buffer.concat(chunks);
        resolve(outcome);
      },
    };
    pool.dispatch(
      { method: "GET", path: "/", headerLines: "", body: null, chunked: false, timeoutMs: 2000, ...request },
      handler,
    );
  });
}

/** Writes `text` one byte at a time, so every parser state sees split input. */
async function dribble(socket: Socket, text: string): Promise<void> {
  for (const byte of Buffer.from(text, "latin1")) {
    socket.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
}

const OK = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

type Cleanup = Array<() => Promise<void> | void>;

/** A raw server answering with `answer` and a pool to it, both closed by `cleanup`. */
async function poolFor(cleanup: Cleanup, answer: Answer, options: UpstreamPoolOptions = {}) {
  const server = await rawServer(answer);
  const pool = new UpstreamPool(server.origin, options);
  cleanup.push(
    () => server.close(),
    () => pool.close(),
  );
  return { server, pool };
}

describe("gateway upstream client: framing", () => {
  const cleanup: Cleanup = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  test("a Content-Length body arrives whole, and the connection carries the next request", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => s.write(OK("hello")));
    const first = await send(pool);
    const second = await send(pool);
    assert.equal(first.status, 200);
    assert.equal(first.body.toString(), "hello");
    assert.equal(first.headers?.["content-type"], "text/plain");
    assert.equal(second.body.toString(), "hello");
    assert.equal(server.connections(), 1);
    assert.match(server.heads[0]!, /^GET \/ HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+$/);
  });

  test("a chunked body delivered one byte at a time is decoded, trailers dropped, connection reused", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => {
      void dribble(
        s,
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n",
      );
    });
    const first = await send(pool);
    assert.equal(first.error, undefined);
    assert.equal(first.body.toString(), "hello, world");
    assert.equal(first.headers?.["transfer-encoding"], "chunked");
    const second = await send(pool);
    assert.equal(second.body.toString(), "hello, world");
    assert.equal(server.connections(), 1);
  });

  test("a body without length runs to the end of the connection, which is then not reused", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => {
      s.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end");
    });
    const first = await send(pool);
    assert.equal(first.body.toString(), "until the end");
    await send(pool);
    assert.equal(server.connections(), 2);
  });

  test("HEAD, 204 and 304 answers have no body even with a Content-Length", async () => {
    const { server, pool } = await poolFor(cleanup, (head, s) => {
      if (head.startsWith("HEAD")) s.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n");
      else if (head.startsWith("GET /204")) s.write("HTTP/1.1 204 No Content\r\n\r\n");
      else s.write("HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n");
    });
    const head = await send(pool, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal((await send(pool, { path: "/204" })).status, 204);
    assert.equal((await send(pool, { path: "/304" })).status, 304);
    assert.equal(server.connections(), 1);
  });

  test("informational answers (100, 103) are skipped for the final one", async () => {
    const { pool } = await poolFor(cleanup, (_h, s) =>
      s.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${OK("final")}`),
    );
    const r = await send(pool);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "final");
  });

  test("repeated header fields are joined, Set-Cookie kept apart", async () => {
    const { pool } = await poolFor(cleanup, (_h, s) =>
      s.write(
        "HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nx-v: 1\r\nX-V: 2\r\ncontent-length: 0\r\n\r\n",
      ),
    );
    const r = await send(pool);
    assert.deepEqual(r.headers?.["set-cookie"], ["a=1", "b=2"]);
    assert.equal(r.headers?.["x-v"], "1, 2");
  });

  for (const [name, response] of [
    ["a malformed status line", "HTTP/1.1 2000 OK\r\ncontent-length: 0\r\n\r\n"],
    ["a status code that is not three digits", "HTTP/1.1 2e2 OK\r\ncontent-length: 0\r\n\r\n"],
    ["an invalid Content-Length", "HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n"],
    ["conflicting Content-Lengths", "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab"],
    ["obsolete line folding", "HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 0\r\n\r\n"],
    ["a header name that is not a token", "HTTP/1.1 200 OK\r\nx a: 1\r\ncontent-length: 0\r\n\r\n"],
    ["a control character in a header value", "HTTP/1.1 200 OK\r\nx-a: 1\u0000\r\ncontent-length: 0\r\n\r\n"],
    ["a bare CR in a header value", "HTTP/1.1 200 OK\r\nx-a: 1\rx-b: 2\r\ncontent-length: 0\r\n\r\n"],
    ["an invalid chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
    ["bytes after the end of the response", `${OK("ok")}HTTP/1.1 200 OK\r\n\r\n`],
    ["a switch of protocols", "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n"],
  ] as const) {
    test(`${name} is an INVALID_RESPONSE and closes the connection`, async () => {
      const { server, pool } = await poolFor(cleanup, (h, s) => {
        if (h.startsWith("GET /next")) s.write(OK("next"));
        else s.write(response);
      });
      const r = await send(pool);
      if (name === "bytes after the end of the response") {
        // The response itself was complete and is passed on; the connection is not reused.
        assert.equal(r.body.toString(), "ok");
      } else assert.equal(r.error?.code, "INVALID_RESPONSE", String(r.error?.message));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await send(pool, { path: "/next" })).body.toString(), "next");
      assert.equal(server.connections(), 2);
    });
  }

  test("a response head over 32 KiB is refused", async () => {
    const { pool } = await poolFor(cleanup, (_h, s) =>
      s.write(`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(40_000)}\r\n\r\n`),
    );
    assert.equal((await send(pool)).error?.code, "INVALID_RESPONSE");
  });

  test("a connection closed before the response is complete is an error", async () => {
    const { pool } = await poolFor(cleanup, (_h, s) =>
      s.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"),
    );
    const r = await send(pool);
    assert.equal(r.error?.code, "CONNECTION_CLOSED");
    assert.equal(r.body.toString(), "abc");
  });
});

describe("gateway upstream client: connections", () => {
  const cleanup: Cleanup = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  test("a kept-alive connection the server closed meanwhile is retried once on a new one, sent once", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => {
      s.write(OK("fresh"));
      // Close right after answering, without saying so: the next request finds it dead.
      setTimeout(() => s.destroy(), 5);
    });
    await send(pool);
    await new Promise((r) => setTimeout(r, 30));
    const r = await send(pool);
    assert.equal(r.body.toString(), "fresh");
    assert.equal(r.sends, 1);
    assert.equal(server.connections(), 2);
  });

  test("a refused connection is an ECONNREFUSED error, still counted as sent by the caller's rule", async () => {
    const server = await rawServer(() => {});
    const origin = server.origin;
    await server.close();
    const pool = new UpstreamPool(origin);
    cleanup.push(() => pool.close());
    const r = await send(pool);
    assert.equal(r.error?.code, "ECONNREFUSED");
    assert.equal(r.sends, 0); // nothing was written: the gateway's handler counts it itself
  });

  test("an upstream that never answers is a TIMEOUT after timeoutMs", async () => {
    const { pool } = await poolFor(cleanup, () => {});
    const started = Date.now();
    const r = await send(pool, { timeoutMs: 150 });
    assert.equal(r.error?.code, "TIMEOUT");
    assert.ok(Date.now() - started >= 140);
  });

  test("at most maxConnections are opened; further requests wait for a free one", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => setTimeout(() => s.write(OK("x")), 20), {
      maxConnections: 2,
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => send(pool)));
    assert.deepEqual(
      results.map((r) => r.body.toString()),
      Array(6).fill("x"),
    );
    assert.equal(server.connections(), 2);
  });

  test("a request body of known length streams as is; one of unknown length is sent chunked", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => s.write(OK("got")));

    const known = new PassThrough();
    const sending = send(pool, { method: "POST", headerLines: "content-length: 11\r\n", body: known });
    known.write("hello ");
    setTimeout(() => known.end("world"), 10);
    assert.equal((await sending).body.toString(), "got");
    assert.equal(server.bodies[0]!.toString(), "hello world");

    const unknown = new PassThrough();
    const chunked = send(pool, { method: "POST", body: unknown, chunked: true });
    unknown.write("abc");
    setTimeout(() => unknown.end("defgh"), 10);
    assert.equal((await chunked).body.toString(), "got");
    assert.match(server.heads[1]!, /transfer-encoding: chunked/);
    assert.equal(server.bodies[1]!.toString(), "3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n");
    assert.equal(server.connections(), 1);
  });

  test("a body read already goes with its head byte for byte, small or large", async () => {
    const { server, pool } = await poolFor(cleanup, (_h, s) => s.write(OK("got")));
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.alloc(40_000, every);
    for (const body of [every, large]) {
      const outcome = await send(pool, {
        method: "PUT",
        headerLines: `content-length: ${body.length}\r\n`,
        body,
      });
      assert.equal(outcome.status, 200);
    }
    assert.deepEqual(server.bodies.slice(-2), [every, large]);
  });

  test("an answer that comes before the request body is sent ends that connection", async () => {
    // Answers as soon as the head arrives, without waiting for the body.
    const tcp = createServer((socket) => {
      socket.once("data", () => socket.write("HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n"));
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", () => resolve()));
    const pool = new UpstreamPool(`http://127.0.0.1:${(tcp.address() as { port: number }).port}`);
    cleanup.push(
      () => pool.close(),
      () => new Promise<void>((resolve) => tcp.close(() => resolve())),
    );
    const body = new PassThrough();
    const r = await send(pool, { method: "POST", headerLines: "content-length: 100000\r\n", body });
    assert.equal(r.status, 413);
    body.end("x".repeat(10));
  });

  test("an https upstream is reached over TLS with the given certificate authority", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-tls-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    const cert = readFileSync(join(dir, "cert.pem"));
    const key = readFileSync(join(dir, "key.pem"));
    const server = await rawServer(
      (_h, s) => s.write(OK("secure")),
      (listener) => createTlsServer({ cert, key }, listener),
    );
    cleanup.push(() => server.close());
    const trusting = new UpstreamPool(server.origin, { ca: cert });
    const untrusting = new UpstreamPool(server.origin);
    cleanup.push(
      () => trusting.close(),
      () => untrusting.close(),
    );
    assert.equal((await send(trusting)).body.toString(), "secure");
    assert.equal((await send(trusting)).body.toString(), "secure");
    assert.equal(server.connections(), 1);
    const refused = await send(untrusting);
    assert.match(String(refused.error?.code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
  });
});
