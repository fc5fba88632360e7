import { createHmac, randomBytes } from "node:crypto";

/** The Standard Webhooks prefix of a signing secret: `whsec_` then the key in base64. */
export const SECRET_PREFIX = "whsec_";

/** A new signing secret: 32 random bytes, `whsec_<base64>`. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

/**
 * The Standard Webhooks signature of one message under one secret: base64 HMAC-SHA256, keyed
 * by the secret's decoded bytes, of `<msg id>.<timestamp>.<body>`.
 */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    "base64",
  );
  return createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/**
 * The three Standard Webhooks headers for a message: `webhook-id`, `webhook-timestamp` (epoch
 * seconds) and `webhook-signature`, which holds one `v1,<signature>` per live secret, space
 * separated (two during a rotation's overlap).
 */
export function webhookHeaders(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": secrets.map((s) => `v1,${sign(s, id, timestamp, body)}`).join(" "),
  };
}
