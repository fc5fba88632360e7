import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";

/** Usage plans and the keys on them. (to be written) */
export class UsagePlanService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}
}
