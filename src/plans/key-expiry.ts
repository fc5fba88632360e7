import type { ApiKeyService } from "./api-keys.js";

/**
 * Disables keys whose expiry passed (rotated-out keys after their grace period, revoked keys),
 * every `intervalMs`. Disabling bumps the configuration revision, so every gateway stops
 * admitting the key within its reload interval after the sweep.
 */
export class KeyExpirySweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly keys: ApiKeyService,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  /** One sweep now; concurrent callers share it. Returns the ids disabled. */
  async sweep(): Promise<string[]> {
    if (this.running) await this.running.catch(() => {});
    const run = this.keys.expireDue().catch(() => [] as string[]);
    this.running = run;
    try {
      return await run;
    } finally {
      if (this.running === run) this.running = undefined;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
