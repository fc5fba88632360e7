import assert from "node:assert/strict";

/** The SDK's answer without its `$metadata`, for field-for-field comparisons. */
export function fields<T extends object>(output: T): Omit<T, "$metadata"> {
  const { $metadata: _, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

/** The rejection of an SDK call: AWS's error name, HTTP status and message. */
export async function rejection(
  call: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("expected the call to fail");
}

/** Asserts an SDK call fails with AWS's exception name and HTTP status, and returns its message. */
export async function rejects(call: Promise<unknown>, name: string, status: number): Promise<string> {
  const e = await rejection(call);
  assert.equal(e.name, name, e.message);
  assert.equal(e.status, status);
  return e.message;
}
