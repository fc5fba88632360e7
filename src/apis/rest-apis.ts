import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";

/** REST APIs: create, import from OpenAPI/Swagger, put (overwrite/merge), resources and methods, export. (to be written) */
export class RestApiService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
  ) {}
}
