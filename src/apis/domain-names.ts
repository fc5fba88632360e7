import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";

/** Custom domain names and their base path mappings. (to be written) */
export class DomainNameService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}
}
