import { randomBytes, randomInt } from "node:crypto";

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet: string, length: number): string {
  // Rejection sampling through randomInt keeps every character uniformly likely.
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A resource id in AWS's style: 10 lowercase alphanumerics (`a1b2c3d4e5`). */
export function newId(): string {
  return randomString(LOWER_ALNUM, 10);
}

/** A generated API key value: 40 characters from [A-Za-z0-9], about 238 bits of entropy. */
export function newApiKeyValue(): string {
  return randomString(ALNUM, 40);
}

/** An opaque random token (admin tokens, secrets), base64url. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
