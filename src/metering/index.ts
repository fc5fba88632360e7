/**
 * Metering: the usage ledger the gateway writes (admissions before forwarding, outcomes after),
 * and the usage queries built on it.
 */
export { type Admission, type Outcome, UsageLedger, usageSince, utcDay } from "./ledger.js";
