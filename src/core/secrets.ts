import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/**
 * Secrets at rest. API key values are looked up by a keyed hash (HMAC-SHA-256 under the
 * server secret, so a stolen database alone cannot confirm guesses); values that must be
 * readable back are sealed with AES-256-GCM under a key derived from the same secret.
 */
export class SecretBox {
  private readonly hashKey: Buffer;
  private readonly sealKey: Buffer;

  constructor(serverSecret: string) {
    if (serverSecret.length < 16) throw new Error("server secret must have at least 16 characters");
    this.hashKey = createHash("sha256").update(`tollgate:hash:${serverSecret}`).digest();
    this.sealKey = createHash("sha256").update(`tollgate:seal:${serverSecret}`).digest();
  }

  /** Deterministic lookup hash of a secret value, hex. */
  hash(value: string): string {
    return createHmac("sha256", this.hashKey).update(value).digest("hex");
  }

  /** Encrypts a value: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.sealKey, iv);
    const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  /** Encrypts bytes: `<iv 12><tag 16><ciphertext>` (cached answers sealed in Redis). */
  sealBytes(data: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.sealKey, iv);
    const body = Buffer.concat([cipher.update(data), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Decrypts what `sealBytes` made; throws when it was changed or sealed under another secret. */
  openBytes(sealed: Buffer): Buffer {
    const decipher = createDecipheriv("aes-256-gcm", this.sealKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("unknown sealed value format");
    const decipher = createDecipheriv("aes-256-gcm", this.sealKey, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  }
}

/** Constant-time string equality (compares SHA-256 digests so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}
