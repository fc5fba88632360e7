import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/secrets.js";
import type { Store } from "../store/index.js";
/** API keys: hashed for lookup, sealed for read-back. (to be written) */
export class ApiKeyService {
  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly secrets: SecretBox,
  ) {}
}
