import { createHash, randomBytes } from "node:crypto";

/** A random secret for a link or a cookie (256 bits, base64url). */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a secret: its SHA-256 (the secrets are random, so no salt is needed). */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}
