import { BlockList, isIP } from "node:net";
import { type IpRange, parseIpRange } from "../apis/index.js";

/** Address blocks compiled for lookups (node's BlockList: IPv4, IPv6, and IPv4-mapped IPv6). */
export class IpMatcher {
  private readonly list = new BlockList();

  constructor(ranges: readonly IpRange[]) {
    for (const r of ranges) this.list.addSubnet(r.address, r.prefix, r.family);
  }

  /** True when `ip` (as normalized by `clientIp`) is in one of the blocks. */
  has(ip: string): boolean {
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 6 ? "ipv6" : "ipv4");
  }
}

/** The proxies whose `X-Forwarded-For` the gateway believes (`TOLLGATE_TRUSTED_PROXIES`). */
export function trustedProxies(text: string | undefined): IpMatcher | undefined {
  const entries = (text ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length) return undefined;
  return new IpMatcher(entries.map((e) => parseIpRange(e, "TOLLGATE_TRUSTED_PROXIES")));
}

/** `::ffff:10.0.0.1` → `10.0.0.1`: one address, one spelling (bucket ids, logs, IP sets). */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/**
 * Whose bucket an address spends in IP rate limits: an IPv4 address, or an IPv6 address's /64
 * (one subscriber's network: a client picks any address inside it at will).
 */
export function rateLimitSubject(ip: string): string {
  const address = normalizeIp(ip).split("%")[0]!;
  if (!address.includes(":")) return address;
  const [head, tail] = address.split("::") as [string, string | undefined];
  const groups = head ? head.split(":") : [];
  if (tail !== undefined) {
    const rest = tail ? tail.split(":") : [];
    // A trailing dotted quad is two groups wide.
    const width = rest.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
    while (groups.length + width < 8) groups.push("0");
    groups.push(...rest);
  }
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}

/**
 * The client's address: the peer's, or, when the peer is a trusted proxy, the last address of
 * `X-Forwarded-For` that is not a trusted proxy (the hops appended by our own proxies are skipped;
 * anything left of the first untrusted one could be forged by the client).
 */
export function clientIp(peer: string, forwardedFor: string | undefined, trusted: IpMatcher): string {
  let ip = normalizeIp(peer);
  if (!forwardedFor || !trusted.has(ip)) return ip;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]!.trim());
    if (!isIP(hop)) return ip;
    ip = hop;
    if (!trusted.has(hop)) return hop;
  }
  return ip;
}
