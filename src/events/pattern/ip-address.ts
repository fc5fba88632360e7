/**
 * IP addresses and CIDR blocks as event-ruler handles them: an address becomes a fixed-width hex
 * string (8 digits for IPv4, 32 for IPv6) and a block an inclusive range of such strings, so
 * ranges compare as strings. Only texts shaped like an address are parsed (the same two loose
 * regular expressions event-ruler uses before handing the text to Java's InetAddress).
 */

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX = "0123456789ABCDEF";

/** An inclusive range of addresses of one family. */
export interface IpRange {
  readonly low: string;
  readonly high: string;
}

/** True when the text has the shape event-ruler tries to read as an address. */
export function looksLikeIp(text: string): boolean {
  return IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  const out: number[] = [];
  for (const part of parts) {
    const n = Number.parseInt(part, 10);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (g.length === 0 || g.length > 4) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === null || tail === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    groups = head;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  // Java's InetAddress turns IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) into IPv4 ones.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12);
  }
  return bytes;
}

/** The address's bytes, or null when the text is not a valid address (of a recognised shape). */
export function parseIpBytes(text: string): number[] | null {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return null;
}

function toHex(bytes: readonly number[]): string {
  let out = "";
  for (const b of bytes) out += HEX[(b >> 4) & 15]! + HEX[b & 15]!;
  return out;
}

/** The address as fixed-width upper-case hex, or null when it is not an address. */
export function ipKey(text: string): string | null {
  const bytes = parseIpBytes(text);
  return bytes === null ? null : toHex(bytes);
}

/** event-ruler's CIDR.cidr(): throws an Error with AWS's IllegalArgumentException text. */
export function parseCidr(text: string): IpRange {
  // Java's split drops trailing empty strings.
  const parts = text.split("/");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length !== 2) throw new Error("Malformed CIDR, one '/' required");
  const maskText = parts[1]!;
  if (!/^[+-]?[0-9]+$/.test(maskText) || !Number.isSafeInteger(Number(maskText))) {
    throw new Error("Malformed CIDR, mask bits must be an integer");
  }
  const maskBits = Number(maskText);
  if (maskBits > 2147483647 || maskBits < -2147483648) {
    throw new Error("Malformed CIDR, mask bits must be an integer");
  }
  if (maskBits < 0) throw new Error("Malformed CIDR, mask bits must not be negative");
  const ipText = parts[0]!;
  let bytes: number[] | null = null;
  if (looksLikeIp(ipText)) {
    bytes = parseIpBytes(ipText);
    if (bytes === null) throw new Error(`Invalid IP address: ${ipText}`);
  }
  if (bytes === null || (bytes.length !== 4 && bytes.length !== 16)) {
    throw new Error(`Nonstandard IP address: ${ipText}`);
  }
  if (bytes.length === 4 && maskBits > 31) throw new Error("IPv4 mask bits must be < 32");
  if (bytes.length === 16 && maskBits > 127) throw new Error("IPv6 mask bits must be < 128");
  // As event-ruler: the range runs from the address as written (not masked) to its last host.
  let hostBits = bytes.length * 8 - maskBits;
  const top = bytes.slice();
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (hostBits >= 8) top[i] = 0xff;
    else if (hostBits > 0) top[i] = bytes[i]! | ((1 << hostBits) - 1);
    hostBits -= 8;
  }
  return { low: toHex(bytes), high: toHex(top) };
}
