import type { AdminServices } from "../index.js";
import type { AdminRoute } from "../route.js";

// (to be written)
export function deploymentRoutes(_services: AdminServices): AdminRoute[] {
  return [];
}
