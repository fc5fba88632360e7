import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, request } from "undici";
import { isPrivateAddress } from "../network.js";

/** One HTTP call a delivery makes. */
export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Refuse loopback and private addresses, also after DNS resolution (tenants' endpoints). */
  restricted: boolean;
  /** How much of the response body to keep (1 KB for the delivery log by default). */
  keepBytes?: number;
}

/** What came back: a status, or the network error that prevented one. */
export type HttpResult =
  | { ok: true; status: number; body: string; latencyMs: number }
  | { ok: false; error: string; latencyMs: number };

/** How much of a response body is kept for the delivery log. */
const KEEP_BYTES = 1024;
/** How much of a response body is read before the connection is dropped. */
const READ_LIMIT = 64 * 1024;

/**
 * The HTTP client of deliveries: keep-alive pools per origin (undici), a timeout per call,
 * and for restricted calls a resolver that refuses private addresses, so a tenant's endpoint
 * cannot be pointed at Tollgate's own network by DNS.
 */
export class HttpSender {
  private readonly open = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  private readonly guarded = new Agent({
    keepAliveTimeout: 10_000,
    connections: 64,
    connect: { lookup: publicOnlyLookup },
  });

  constructor(private readonly timeoutMs: number) {}

  async send(call: HttpCall): Promise<HttpResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    if (call.restricted) {
      const host = new URL(call.url).hostname.replace(/^\[|\]$/g, "");
      if (host === "localhost" || (isIP(host) && isPrivateAddress(host))) {
        return { ok: false, error: `refused: ${host} is a loopback or private address`, latencyMs: 0 };
      }
    }
    try {
      const response = await request(call.url, {
        method: call.method as "POST",
        headers: call.headers,
        body: call.body,
        dispatcher: call.restricted ? this.guarded : this.open,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const keep = call.keepBytes ?? KEEP_BYTES;
      let body = "";
      let read = 0;
      for await (const chunk of response.body) {
        read += (chunk as Buffer).length;
        if (body.length < keep) body += (chunk as Buffer).toString("utf8");
        if (read > READ_LIMIT) {
          response.body.destroy();
          break;
        }
      }
      return { ok: true, status: response.statusCode, body: body.slice(0, keep), latencyMs: elapsed() };
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      const timedOut =
        e.name === "TimeoutError" ||
        e.code === "UND_ERR_HEADERS_TIMEOUT" ||
        e.code === "UND_ERR_BODY_TIMEOUT";
      const message = timedOut
        ? `timed out after ${this.timeoutMs} ms`
        : `${e.code ?? e.name ?? "Error"}: ${e.message ?? error}`;
      return { ok: false, error: message, latencyMs: elapsed() };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.open.close(), this.guarded.close()]);
  }
}

/** A DNS lookup that fails for names resolving to loopback or private addresses. */
function publicOnlyLookup(
  hostname: string,
  options: object,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const list = addresses as LookupAddress[];
    const blocked = list.find((a) => isPrivateAddress(a.address));
    if (blocked) {
      const refusal = Object.assign(
        new Error(`refused: ${hostname} resolves to ${blocked.address}, a private address`),
        {
          code: "EPRIVATEADDRESS",
        },
      );
      return callback(refusal, "", 0);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
}
