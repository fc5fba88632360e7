/**
 * V8 flags for every Tollgate process, set before any other module runs (main.ts imports this
 * first).
 *
 * Allocation-site pretenuring off: in about one start in five, V8 decided during the first second
 * of load that objects allocated on the request path live long, and allocated them in the old
 * generation from then on. Every scavenge then kept what they point to (12 ms each instead of 2)
 * and a full collection ran every few seconds: Redis mode took about 105 µs of CPU per request
 * instead of 80, for the life of the process. With the flag, none of 31 starts did
 * (docs/benchmarks.md).
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-allocation-site-pretenuring");
