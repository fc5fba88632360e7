import type { AdminServices } from "../index.js";
import type { AdminRoute } from "../route.js";

// (to be written)
export function usagePlanRoutes(_services: AdminServices): AdminRoute[] {
  return [];
}
