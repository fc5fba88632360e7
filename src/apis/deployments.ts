import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";

/** Deployments: snapshots of an API's resources that stages point at. (to be written) */
export class DeploymentService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}
}
