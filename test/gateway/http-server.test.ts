import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import {
  GatewayServer,
  type HttpServerLimits,
  type RequestListener,
  renderFields,
} from "../../src/gateway/http-server.js";

/**
 * The gateway's HTTP/1.1 server on real loopback sockets: clients write exact bytes and read what
 * comes back, so framing, pipelining, keep-alive and the refusals are checked as they are on the
 * wire. Every request is answered by a listener that reports what it received.
 */

const LIMITS: HttpServerLimits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  maxHeaderBytes: 4096,
  keepAliveTimeoutMs: 600,
};

/** Echoes method, url, headers and the whole body as JSON; `/refuse` answers 403 before reading the body. */
const echo: RequestListener = (req, res) => {
  if (req.url === "/refuse") {
    res.writeHead(403, { "content-type": "application/json", "content-length": 2 });
    res.end("{}");
    return;
  }
  if (req.url === "/stream") {
    // No length: the server frames it (chunked on HTTP/1.1, until close on HTTP/1.0).
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("part one, ");
    setTimeout(() => res.end("part two"), 20);
    return;
  }
  if (req.url === "/bad-header") {
    try {
      res.writeHead(200, { "x-bad": "a\r\nx-injected: 1" });
    } catch (error) {
      const body = (error as Error).message;
      res.writeHead(500, { "content-length": Buffer.byteLength(body) });
      res.end(body);
    }
    return;
  }
  const chunks: Buffer[] = [];
  const body = req.body();
  body.on("data", (c: Buffer) => chunks.push(c));
  body.on("end", () => {
    if (req.url === "/bytes") {
      // The body back as it came, as one Buffer with a length.
      const bytes = Buffer.concat(chunks);
      res.writeHead(200, { "content-length": bytes.length });
      res.end(bytes);
      return;
    }
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      version: req.httpVersion,
      host: req.headers.host,
      raw: req.rawHeaders,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
};

let server: GatewayServer;
let port: number;

before(async () => {
  server = new GatewayServer(LIMITS, echo);
  await server.listen(0, "127.0.0.1");
  port = (server.tcp.address() as { port: number }).port;
});
after(() => server.close());

/** A raw client: writes bytes, collects what the server sends, knows when it closed. */
function client(): {
  socket: Socket;
  text(): string;
  closed: Promise<void>;
  until(pattern: RegExp): Promise<string>;
} {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  const waiters: Array<() => void> = [];
  socket.on("data", (c: Buffer) => {
    text += c.toString("latin1");
    for (const w of waiters.splice(0)) w();
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  return {
    socket,
    text: () => text,
    closed,
    until(pattern) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; got ${text}`)),
          3000,
        );
        const check = () => {
          if (pattern.test(text)) {
            clearTimeout(timer);
            resolve(text);
          } else waiters.push(check);
        };
        check();
        socket.once("close", () => {
          if (!pattern.test(text)) {
            clearTimeout(timer);
            reject(new Error(`closed before ${pattern}; got ${text}`));
          }
        });
      });
    },
  };
}

/** Sends `bytes` and returns everything until the server closes the connection. */
async function exchange(bytes: string): Promise<string> {
  const c = client();
  c.socket.write(bytes);
  await c.closed;
  return c.text();
}

/** The JSON bodies of the answers in `text`, in order. */
function bodies(text: string): Array<Record<string, unknown>> {
  return [...text.matchAll(/\r\n\r\n(\{[^\r]*?\})(?=HTTP\/|$)/g)].map((m) => JSON.parse(m[1]!));
}

describe("gateway HTTP server", () => {
  test("answers a real client, keeping raw header names and values as sent", async () => {
    const r = await request(`http://127.0.0.1:${port}/a/b?x=1`, { headers: { "X-Custom": "  v  " } });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers.date), /GMT$/);
    const seen = (await r.body.json()) as { url: string; raw: string[]; host: string };
    assert.equal(seen.url, "/a/b?x=1");
    assert.equal(seen.host, `127.0.0.1:${port}`);
    const i = seen.raw.indexOf("X-Custom");
    assert.ok(i >= 0 && seen.raw[i + 1] === "v", JSON.stringify(seen.raw));
  });

  test("reads field names in any case and trims only spaces and tabs around values", async () => {
    const c = client();
    c.socket.write(
      Buffer.from(
        "GET /h HTTP/1.1\r\nhOsT: example.test\r\nX-API-KEY:\t k1 \t\r\nCONTENT-LENGTH: 0\r\n" +
          "X-Rare-Name:  a b \r\nx-rare-name: c\r\nX-Latin: \xa0caf\xe9\xa0\r\nConnection: close\r\n\r\n",
        "latin1",
      ),
    );
    await c.closed;
    // The echo's JSON is UTF-8; the raw client reads bytes as latin1.
    const text = Buffer.from(c.text(), "latin1").toString("utf8");
    const [seen] = bodies(text) as Array<{ raw: string[]; headers: Record<string, string>; host: string }>;
    assert.deepEqual(seen!.raw.slice(0, 10), [
      "hOsT",
      "example.test",
      "X-API-KEY",
      "k1",
      "CONTENT-LENGTH",
      "0",
      "X-Rare-Name",
      "a b",
      "x-rare-name",
      "c",
    ]);
    assert.equal(seen!.host, "example.test");
    assert.equal(seen!.headers["x-api-key"], "k1");
    assert.equal(seen!.headers["x-rare-name"], "a b, c");
    // obs-text is a value's own; only SP and HTAB are optional whitespace (RFC 9110 §5.6.3).
    assert.equal(seen!.headers["x-latin"], "\u00a0caf\u00e9\u00a0");
    assert.match(await exchange("GET /h HTTP/1.1\r\nHost: h\r\nX-Bad: v\x0b\r\n\r\n"), /^HTTP\/1\.1 400 /);
  });

  test("a Buffer body goes out byte for byte, small (one write with its head) or large", async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.alloc(40_000, every);
    for (const sent of [every, large]) {
      const r = await request(`http://127.0.0.1:${port}/bytes`, { method: "POST", body: sent });
      assert.equal(r.headers["content-length"], String(sent.length));
      assert.deepEqual(Buffer.from(await r.body.arrayBuffer()), sent);
    }
  });

  test("serves the next request on a connection whose last body filled the body stream's buffer", async () => {
    // A body over the stream's 16 KiB buffer that arrives whole pauses the socket on its last piece.
    for (const size of [17_000, 40_000]) {
      const c = client();
      c.socket.write(`POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n${"a".repeat(size)}`);
      await c.until(/^HTTP\/1\.1 200/);
      c.socket.write("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(bodies(await c.until(/"url":"\/next"/))[0]!.url, "/next");
      c.socket.destroy();
    }
  });

  test("answers pipelined requests in order on one connection", async () => {
    const c = client();
    c.socket.write(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /three HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    const text = await c.until(/"url":"\/three"/);
    const seen = bodies(text);
    assert.deepEqual(
      seen.map((b) => [b.url, b.body]),
      [
        ["/one", ""],
        ["/two", "hello"],
        ["/three", ""],
      ],
    );
    assert.ok(!c.socket.destroyed, "the connection stays open");
    c.socket.destroy();
  });

  test("decodes a chunked body that arrives in pieces, extensions and trailers included", async () => {
    const c = client();
    c.socket.write("PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel");
    await new Promise((r) => setTimeout(r, 30));
    c.socket.write("lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
    const text = await c.until(/"body"/);
    assert.equal(bodies(text)[0]!.body, "hello world");
    c.socket.destroy();
  });

  test("a refusal before the body is read drops the rest of the body and serves the next request", async () => {
    const c = client();
    c.socket.write("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
    await c.until(/^HTTP\/1\.1 403/);
    c.socket.write("56789GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.until(/"url":"\/after"/);
    assert.equal(bodies(text).at(-1)!.method, "GET");
    c.socket.destroy();
  });

  test("answers 100 Continue to a request that expects it", async () => {
    const c = client();
    c.socket.write("PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    c.socket.write("abc");
    const text = await c.until(/"body":"abc"/);
    assert.match(text, /HTTP\/1\.1 200 OK/);
    c.socket.destroy();
  });

  test("frames an answer without a length as chunked for HTTP/1.1 and until close for HTTP/1.0", async () => {
    const c = client();
    c.socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.until(/0\r\n\r\n$/);
    assert.match(text, /transfer-encoding: chunked\r\n/);
    assert.match(text, /\r\n\r\na\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n$/);
    c.socket.destroy();

    const old = await exchange("GET /stream HTTP/1.0\r\n\r\n");
    assert.match(old, /connection: close\r\n/);
    assert.doesNotMatch(old, /transfer-encoding/);
    assert.match(old, /\r\n\r\npart one, part two$/);
  });

  test("HTTP/1.0 keeps the connection only when asked; Connection: close closes after the answer", async () => {
    const kept = client();
    kept.socket.write("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const text = await kept.until(/"url":"\/k"/);
    assert.match(text, /connection: keep-alive\r\n/);
    kept.socket.write("GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await kept.until(/"url":"\/k2"/);
    kept.socket.destroy();

    assert.match(
      await exchange("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      /connection: close\r\n/,
    );
  });

  test("a HEAD answer carries its head only", async () => {
    const c = client();
    c.socket.write("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.until(/"url":"\/next"/);
    const first = text.slice(0, text.indexOf("HTTP/1.1", 5));
    assert.match(first, /content-length: \d+\r\n/);
    assert.match(first, /\r\n\r\n$/, "the HEAD answer ends after its head");
    c.socket.destroy();
  });

  test("a client that half-closes after its request still gets the answer", async () => {
    const c = client();
    c.socket.end("GET /fin HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.closed;
    assert.match(c.text(), /"url":"\/fin"/);
  });

  test("refuses requests whose framing could be read two ways, and closes the connection", async () => {
    const cases: Array<[string, RegExp]> = [
      [
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        /Both Content-Length and Transfer-Encoding/,
      ],
      ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", /must end with chunked/],
      [
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        /Conflicting Content-Length/,
      ],
      ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", /Invalid Content-Length/],
      ["GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", /line folding/],
      ["GET / HTTP/1.1\nHost: x\n\n", /Bare LF/],
      ["GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n", /Invalid character/],
      ["GET / HTTP/1.1\r\nHost : x\r\n\r\n", /Malformed header field name/],
      ["GET / HTTP/1.1\r\n\r\n", /Missing Host/],
      ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /More than one Host/],
      ["GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", /Malformed request line/],
      ["G(T / HTTP/1.1\r\nHost: x\r\n\r\n", /Malformed method/],
      ["POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /invalid chunk size/],
    ];
    for (const [bytes, message] of cases) {
      const text = await exchange(bytes);
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(bytes));
      assert.match(text, message, JSON.stringify(bytes));
      assert.doesNotMatch(text, /HTTP\/1\.1 200/, JSON.stringify(bytes));
    }
    assert.match(await exchange("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), /^HTTP\/1\.1 505 /);
    assert.match(await exchange("PUT / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n"), /^HTTP\/1\.1 417 /);
  });

  test("takes the absolute form's authority as the host", async () => {
    const c = client();
    c.socket.write("GET http://api.example.com/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    const seen = bodies(await c.until(/"url"/))[0]!;
    assert.equal(seen.url, "/p?q=1");
    assert.equal(seen.host, "api.example.com");
    c.socket.destroy();
  });

  test("refuses a header field the listener writes with CR or LF in it", async () => {
    const r = await request(`http://127.0.0.1:${port}/bad-header`);
    assert.equal(r.statusCode, 500);
    assert.match(await r.body.text(), /Invalid character in header content/);
    assert.equal(r.headers["x-injected"], undefined);
  });

  test("renders fields for writeHead once, and declines those writeHead must check or act on", () => {
    assert.deepEqual(
      renderFields({ "Content-Type": "text/plain", "set-cookie": ["a=1", "b=2"], Date: "x" }),
      {
        lines: "Content-Type: text/plain\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nDate: x\r\n",
        contentLength: false,
        date: true,
      },
    );
    assert.equal(renderFields({ "content-length": "2" })?.contentLength, true);
    assert.equal(renderFields({ Connection: "close" }), undefined);
    assert.equal(renderFields({ "transfer-encoding": "chunked" }), undefined);
    assert.equal(renderFields({ "x-bad": "a\r\nx-injected: 1" }), undefined);
    assert.equal(renderFields({ "bad name": "1" }), undefined);
  });

  test("a head over the limit gets 431; a slow head or body gets 408; an idle connection is closed", async () => {
    assert.match(
      await exchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(5000)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    assert.match(await exchange("GET / HTTP/1.1\r\nHost: x\r\n"), /^HTTP\/1\.1 408 /);
    assert.match(
      await exchange("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"),
      /^HTTP\/1\.1 408 /,
    );
    const idle = client();
    idle.socket.write("GET /i HTTP/1.1\r\nHost: x\r\n\r\n");
    await idle.until(/"url":"\/i"/);
    const started = Date.now();
    await idle.closed;
    assert.ok(Date.now() - started >= LIMITS.keepAliveTimeoutMs - 300, "closed after the keep-alive timeout");
  });

  test("close() lets the answer in progress finish with Connection: close, then stops", async () => {
    const slow = new GatewayServer(LIMITS, (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { "content-length": 2 });
        res.end("ok");
      }, 100);
    });
    await slow.listen(0, "127.0.0.1");
    const slowPort = (slow.tcp.address() as { port: number }).port;
    const answer = request(`http://127.0.0.1:${slowPort}/`);
    await new Promise((r) => setTimeout(r, 30));
    await slow.close();
    const r = await answer;
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers.connection, "close");
    assert.equal(await r.body.text(), "ok");
  });
});
