import type { AdminServices } from "../index.js";
import type { AdminRoute } from "../route.js";

// (to be written)
export function domainNameRoutes(_services: AdminServices): AdminRoute[] {
  return [];
}
