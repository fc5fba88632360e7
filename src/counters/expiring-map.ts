/** An entry that knows its own key and whether it may be forgotten at `now` (epoch ms). */
export interface Expiring {
  readonly key: string;
  expired(now: number): boolean;
}

/**
 * A Map whose expired entries are swept a few at a time: each `sweep` call examines the next
 * `steps` entries of one long-lived iterator, so the cost is spread over calls instead of a
 * periodic full scan, and memory stays bounded by the entries live within one sweep cycle.
 */
export class ExpiringMap<V extends Expiring> {
  private readonly entries = new Map<string, V>();
  private cursor: Iterator<V> | undefined;

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(entry: V): void {
    this.entries.set(entry.key, entry);
  }

  /** Examines up to `steps` entries and forgets those expired at `now`. */
  sweep(now: number, steps: number): void {
    for (let i = 0; i < steps; i++) {
      this.cursor ??= this.entries.values();
      const next = this.cursor.next();
      if (next.done) {
        // One cycle is over; the next call starts another.
        this.cursor = undefined;
        return;
      }
      // Deleting during iteration is safe for a Map: the iterator skips removed entries.
      if (next.value.expired(now)) this.entries.delete(next.value.key);
    }
  }
}
