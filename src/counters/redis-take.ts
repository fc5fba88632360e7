import { createHash } from "node:crypto";
import { Command } from "ioredis";
import { QUOTA_GRACE_MS, type QuotaSpec, type TakeRequest } from "./engine.js";
import { TAKE_SCRIPT } from "./redis-scripts.js";

const TAKE_SHA = createHash("sha1").update(TAKE_SCRIPT).digest("hex");

/** The parts of a take's EVALSHA that stay the same from one take of a key and route to the next. */
interface Prepared {
  /** The quota they were written for (a new period, or a changed plan, writes them again). */
  quota: QuotaSpec | undefined;
  /** Through the keys: `*argc`, EVALSHA, the script's SHA, the key count and every key. */
  head: string;
  /** Between `now` and the quota key's TTL: the bucket count, each rate and burst, the quota's limit and end. */
  middle: string;
}

/**
 * Writes the EVALSHA of a take (TAKE_SCRIPT's KEYS and ARGV) as RESP text. What does not change
 * between takes of one key on one route (the keys, the rates and bursts, the quota) is written
 * once per bucket list and kept; a take adds `now` and the quota key's TTL.
 */
export class TakeEncoder {
  private readonly prepared = new WeakMap<readonly object[], Prepared>();

  constructor(private readonly keyPrefix: string) {}

  /** The command text for `request`; `request.buckets` must not change once passed (its encoding is kept). */
  encode(request: TakeRequest): string {
    const { buckets, quota, now } = request;
    let prepared = this.prepared.get(buckets);
    if (prepared === undefined || !sameQuota(prepared.quota, quota)) {
      prepared = this.prepare(request);
      this.prepared.set(buckets, prepared);
    }
    const text = `${prepared.head}${bulk(String(now))}${prepared.middle}`;
    if (!quota) return text;
    return `${text}${bulk(String(Math.max(1, Math.ceil(quota.end - now + QUOTA_GRACE_MS))))}`;
  }

  private bucketKey(id: string): string {
    return `${this.keyPrefix}b:${id}`;
  }

  quotaKey(id: string, start: number): string {
    return `${this.keyPrefix}q:${id}:${start}`;
  }

  private prepare({ buckets, quota }: TakeRequest): Prepared {
    const keys = buckets.map((b) => this.bucketKey(b.id));
    const args = [String(buckets.length)];
    for (const b of buckets) args.push(String(b.rate), String(b.burst));
    if (quota) {
      keys.push(this.quotaKey(quota.id, quota.start));
      args.push(String(quota.limit), String(quota.end));
    }
    // EVALSHA sha numkeys keys... now args... [ttl]
    const argc = 3 + keys.length + 1 + args.length + (quota ? 1 : 0);
    return {
      quota,
      head: `*${argc}\r\n${bulk("EVALSHA")}${bulk(TAKE_SHA)}${bulk(String(keys.length))}${keys.map(bulk).join("")}`,
      middle: args.map(bulk).join(""),
    };
  }
}

function sameQuota(a: QuotaSpec | undefined, b: QuotaSpec | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.id === b.id && a.start === b.start && a.limit === b.limit && a.end === b.end;
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A command whose RESP text is written as given (the client's own encoding is skipped). */
export class PreparedCommand extends Command {
  constructor(private readonly text: string) {
    super("evalsha");
  }

  override toWritable(): string {
    return this.text;
  }
}

/** Whether a take's error says the script is not in Redis's script cache (a restart, SCRIPT FLUSH). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
