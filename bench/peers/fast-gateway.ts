/**
 * The peer Node.js gateway: fast-gateway (restana + fast-proxy-lite) with API-key
 * authentication and a per-key token bucket (rate-limiter-flexible), limits set high so
 * nothing is refused. Usage: UPSTREAM=... PORT=... KEYS=k1,k2 node --import tsx bench/peers/fast-gateway.ts
 */
import gateway from "fast-gateway";
import { RateLimiterMemory } from "rate-limiter-flexible";

const keys = new Set((process.env.KEYS ?? "").split(",").filter(Boolean));
const limiter = new RateLimiterMemory({ points: 1_000_000, duration: 1 });

type Req = { headers: Record<string, string | string[] | undefined> };
type Res = { statusCode: number; setHeader(n: string, v: string): void; end(body?: string): void };

async function keyAuthAndRateLimit(req: Req, res: Res, next: () => void) {
  const key = req.headers["x-api-key"];
  if (typeof key !== "string" || !keys.has(key)) {
    res.statusCode = 403;
    res.end('{"message":"Forbidden"}');
    return;
  }
  try {
    await limiter.consume(key);
    next();
  } catch {
    res.statusCode = 429;
    res.end('{"message":"Too Many Requests"}');
  }
}

gateway({
  middlewares: [keyAuthAndRateLimit],
  routes: [{ prefix: "/dev", target: process.env.UPSTREAM ?? "http://127.0.0.1:9000" }],
}).start(Number(process.env.PORT ?? 9200), "127.0.0.1");
