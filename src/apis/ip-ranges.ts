import { isIP } from "node:net";
import { BadRequestError } from "../core/errors.js";

/** An IPv4 or IPv6 block: the address with its prefix length (`10.0.0.0/8`, `2001:db8::/32`). */
export interface IpRange {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/**
 * Parses an address or CIDR block, as `aws:SourceIp` and firewall IP sets take them; a bare
 * address is a block of one. Throws BadRequestError naming `where`.
 */
export function parseIpRange(text: string, where: string): IpRange {
  const value = String(text).trim();
  const slash = value.indexOf("/");
  const address = slash === -1 ? value : value.slice(0, slash);
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : value.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!version || !/^\d{1,3}$/.test(prefixText) || prefix > max) {
    throw new BadRequestError(
      `Invalid IP address or CIDR block '${text}' in ${where}: expected an IPv4 or IPv6 address, optionally with /prefix (0-32 for IPv4, 0-128 for IPv6)`,
    );
  }
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}
