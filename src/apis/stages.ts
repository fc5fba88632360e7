import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";

/** Stages: named pointers to deployments with variables and method settings. (to be written) */
export class StageService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}
}
