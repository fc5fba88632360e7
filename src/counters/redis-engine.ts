import { Redis, type RedisOptions } from "ioredis";
import {
  type CounterEngine,
  type Decision,
  decide,
  MAX_PERIOD_MS,
  msUntilTokens,
  QUOTA_GRACE_MS,
  type TakeRequest,
} from "./engine.js";
import { SET_COUNT_SCRIPT, TAKE_SCRIPT } from "./redis-scripts.js";
import { isNoScript, PreparedCommand, TakeEncoder } from "./redis-take.js";

export interface RedisEngineOptions {
  /** Prefix of every key this engine writes. Default `tollgate:`. */
  keyPrefix?: string;
  /** Command timeout, ms, of a client the engine makes from a URL. Default 50. */
  commandTimeoutMs?: number;
}

/** { admitted, reason code, retryAfterMs, quota used, tightest index, its remaining, its resetMs } */
type TakeReply = [number, number, number, number, number, number, number];

/** The script ioredis `defineCommand` adds: EVALSHA, falling back to EVAL on NOSCRIPT. */
interface CounterCommands {
  tollgateSetCount(key: string, used: number, raiseOnly: 0 | 1, ttlMs: number): Promise<number>;
}

/**
 * Counters in Redis, shared by N gateway processes (`TOLLGATE_REDIS_URL`). Each `take` is one
 * Lua script, one round trip, that checks every bucket and the quota and takes them together
 * atomically, so N processes on one Redis are exactly as exact as one. Each take is written as
 * soon as it is made, so Redis works on it while the gateway goes on with other requests (holding
 * a turn's takes back to send them in one write cost 22–40 % of the throughput: the gateway and
 * Redis then took turns to idle, docs/benchmarks.md). Bucket keys expire once
 * full again (plus a slack); quota keys an hour after their period ends. Keys of one take must
 * live on one Redis node: Redis Cluster is not supported.
 *
 * The engine uses the caller's `now` (so tests can inject a clock): gateways must pass a
 * synchronized clock (NTP). Skew shifts refills by at most skew × rate tokens and does not
 * accumulate: a bucket remembers the latest `now` it saw, a caller ahead refills early, and a
 * caller behind refills nothing until its clock passes that. Near a period boundary, skew
 * decides which period a request counts in.
 *
 * @example
 * const engine = new RedisEngine(process.env.TOLLGATE_REDIS_URL!);
 * await engine.ready();
 * const d = await engine.take({ buckets, quota, now: Date.now() });
 */
export class RedisEngine implements CounterEngine {
  /** The connection; given by the caller or made from a URL (then owned and closed by `close`). */
  readonly client: Redis;
  /** The last connection error of an owned client, for logs. */
  lastError: Error | undefined;
  private readonly owned: boolean;
  private readonly encoder: TakeEncoder;
  private readonly commands: CounterCommands;

  /**
   * @param client an ioredis client (give it a short `commandTimeout`, and no `keyPrefix`: the
   *   engine's own `keyPrefix` option names its keys) or a `redis://` URL, for which the engine
   *   makes a client that fails fast: no offline queue and no resending, since a take sent late
   *   or twice would count late or twice.
   */
  constructor(client: Redis | string, options: RedisEngineOptions = {}) {
    this.owned = typeof client === "string";
    this.client = typeof client === "string" ? new Redis(client, failFast(options)) : client;
    if (this.owned) this.client.on("error", (error: Error) => (this.lastError = error));
    this.encoder = new TakeEncoder(options.keyPrefix ?? "tollgate:");
    this.client.defineCommand("tollgateSetCount", { lua: SET_COUNT_SCRIPT, numberOfKeys: 1 });
    // Takes are sent as EVALSHA alone: the script is loaded whenever a connection is made.
    const load = () => void this.client.script("LOAD", TAKE_SCRIPT).catch(() => {});
    this.client.on("ready", load);
    if (this.client.status === "ready") load();
    this.commands = this.client as unknown as CounterCommands;
  }

  /** Resolves once the client is connected; rejects if it is closed first. */
  ready(): Promise<void> {
    if (this.client.status === "ready") return Promise.resolve();
    if (this.client.status === "end") return Promise.reject(new Error("The Redis connection is closed"));
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        this.client.off("ready", onReady).off("end", onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const onEnd = () => settle(new Error("The Redis connection closed before it was ready"));
      this.client.on("ready", onReady).on("end", onEnd);
    });
  }

  take(request: TakeRequest): Promise<Decision> {
    return this.sendTake(this.encoder.encode(request)).then((reply) => decision(request, reply));
  }

  async quotaUsed(quotaId: string, start: number): Promise<number | undefined> {
    const value = await this.client.get(this.quotaKey(quotaId, start));
    return value === null ? undefined : Number(value);
  }

  async setQuotaRemaining(quotaId: string, start: number, limit: number, remaining: number): Promise<void> {
    await this.setCount(quotaId, start, limit - remaining, 0);
  }

  async seedQuota(quotaId: string, start: number, used: number): Promise<void> {
    await this.setCount(quotaId, start, used, 1);
  }

  /** Closes the client if the engine made it; a client given by the caller stays open. */
  async close(): Promise<void> {
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private sendTake(text: string): Promise<TakeReply> {
    const sent = this.client.sendCommand(new PreparedCommand(text)) as Promise<TakeReply>;
    return sent.catch(async (error: unknown) => {
      if (!isNoScript(error)) throw error;
      // Redis restarted or its scripts were flushed: load the script and send the take again.
      await this.client.script("LOAD", TAKE_SCRIPT);
      return (await this.client.sendCommand(new PreparedCommand(text))) as TakeReply;
    });
  }

  private setCount(quotaId: string, start: number, used: number, raiseOnly: 0 | 1): Promise<number> {
    // The period's end is not known here: a new key lives as long as the longest period could.
    const ttlMs = MAX_PERIOD_MS + QUOTA_GRACE_MS;
    return this.commands.tollgateSetCount(this.quotaKey(quotaId, start), used, raiseOnly, ttlMs);
  }

  private quotaKey(id: string, start: number): string {
    return this.encoder.quotaKey(id, start);
  }
}

/** The decision a take script's reply says. */
function decision(request: TakeRequest, reply: TakeReply): Decision {
  const [admitted, reasonCode, retryAfterMs, used, tightestIndex, remaining, resetMs] = reply;
  const spec = tightestIndex > 0 ? request.buckets[tightestIndex - 1] : undefined;
  const tightest = spec && {
    limit: spec.burst,
    remaining,
    resetMs,
    windowMs: msUntilTokens(0, spec.burst, spec.rate, spec.burst),
  };
  const reason = admitted ? undefined : reasonCode === 2 ? "quota" : "throttled";
  return decide(request, reason, retryAfterMs, used, tightest);
}

function failFast(options: RedisEngineOptions): RedisOptions {
  return {
    commandTimeout: options.commandTimeoutMs ?? 50,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
  };
}
