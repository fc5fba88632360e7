import { z } from "zod";

/**
 * Request and response shapes shared by several admin routes. Field names are API Gateway's;
 * timestamps are epoch seconds, as restJson1 sends them.
 */
export const Tags = z.record(z.string(), z.string());
export const EpochSeconds = z.number();

export const PatchOperations = z.object({
  patchOperations: z
    .array(
      z.object({
        op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
        path: z.string(),
        value: z.string().optional(),
        from: z.string().optional(),
      }),
    )
    .default([]),
});

/** A collection page: `{ item: [...], position }`. */
export function collection<T extends z.ZodType>(item: T) {
  return z.object({ item: z.array(item), position: z.string().optional() });
}
