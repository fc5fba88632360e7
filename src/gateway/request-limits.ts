/**
 * Request size limits: the body limit (AWS's 10 MB by default) checked against Content-Length
 * before anything else, counted as a chunked body streams, and enforced while a body that
 * must be validated is read into memory.
 */
import { type Readable, Transform, type TransformCallback } from "node:stream";
import type { Refusal } from "./responses.js";

/** AWS's payload limit, bytes. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The 413 for a body over `limit` bytes; the connection is closed (the rest is not read). */
export function bodyTooLarge(limit: number): Refusal {
  return {
    status: 413,
    type: "RequestTooLongException",
    message: "Request Too Long",
    detail: `the request body is larger than the gateway's limit of ${limit} bytes`,
    close: true,
  };
}

/** Reads a whole body of at most `limit` bytes; a refusal when it is larger or breaks off. */
export function readBody(req: Readable, limit: number): Promise<Buffer | Refusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | Refusal) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done(bodyTooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = () =>
      done({ status: 400, type: "BadRequestException", message: "The request body broke off", close: true });
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
  });
}

/**
 * A pass-through for a body of unknown length (chunked) that fails once more than `limit` bytes
 * went through; `exceeded` runs first, so the gateway answers 413 rather than 502.
 */
export function limitedBody(req: Readable, limit: number, exceeded: () => void): Transform {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > limit) {
        exceeded();
        callback(new Error("request body too large"));
      } else callback(null, chunk);
    },
  });
  req.on("error", (error) => counter.destroy(error));
  req.on("aborted", () => counter.destroy(new Error("aborted")));
  return req.pipe(counter);
}
