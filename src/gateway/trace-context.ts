/**
 * W3C Trace Context at the gateway, which is one hop of the trace: the upstream gets the
 * client's trace id with a new parent id (the gateway's span), or a new trace when the client
 * sent none (or an invalid one). `tracestate` is passed through unchanged. No cryptography per
 * request: a new trace id is the request id (already a random UUID) without its dashes, and span
 * ids are a per-process random prefix and a counter, unique within and across processes.
 */
import { randomBytes } from "node:crypto";

const PREFIX = randomBytes(4).toString("hex");
let counter = 0;

/** A new span id: 16 lower-case hex digits, never all zeros. */
export function nextSpanId(): string {
  counter = (counter + 1) >>> 0;
  const hex = counter.toString(16);
  return PREFIX + "00000000".slice(hex.length) + hex;
}

// version-traceid-parentid-flags; a version above 00 may carry more fields after them.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "00000000000000000000000000000000";
const ZERO_SPAN = "0000000000000000";

/** The trace a request continues, and the `traceparent` value the upstream gets. */
export interface TraceHop {
  traceId: string;
  traceparent: string;
}

/** The trace id `traceHop` would give, without making a span (an answer from the cache). */
export function traceIdOf(incoming: string | undefined, requestId: string): string {
  return incoming === undefined ? uuidHex(requestId) : traceHop(incoming, requestId).traceId;
}

/** A UUID's 32 hex digits (anything else: its hex digits, padded or cut to 32). */
function uuidHex(id: string): string {
  if (id.length === 36)
    return id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  return id
    .replace(/[^0-9a-f]/g, "")
    .padEnd(32, "0")
    .slice(0, 32);
}

/**
 * Continues the client's trace (`incoming`), or starts one from `requestId` (a UUID). A new
 * trace is marked sampled (`01`), so the upstream's tracer records what the access log names.
 */
export function traceHop(incoming: string | undefined, requestId: string): TraceHop {
  if (incoming !== undefined) {
    const m = TRACEPARENT.exec(incoming.trim());
    if (
      m &&
      m[1] !== "ff" &&
      m[2] !== ZERO_TRACE &&
      m[3] !== ZERO_SPAN &&
      (m[1] !== "00" || m[5] === undefined)
    ) {
      return { traceId: m[2]!, traceparent: `00-${m[2]}-${nextSpanId()}-${m[4]}` };
    }
  }
  const traceId = uuidHex(requestId);
  return { traceId, traceparent: `00-${traceId}-${nextSpanId()}-01` };
}
