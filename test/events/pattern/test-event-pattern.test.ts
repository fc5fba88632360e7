import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  InvalidEventError,
  InvalidEventPatternError,
  REQUIRED_EVENT_FIELDS,
  testEventPattern,
} from "../../../src/events/pattern/index.js";

const envelope = {
  id: "1",
  account: "123456789012",
  source: "shop",
  time: "2026-01-01T00:00:00Z",
  region: "us-east-1",
  "detail-type": "Order Placed",
};

describe("testEventPattern", () => {
  test("answers whether an event with EventBridge's envelope matches; resources may be left out", () => {
    const event = JSON.stringify({ ...envelope, detail: { amount: 20 } });
    assert.equal(testEventPattern('{"detail": {"amount": [{"numeric": [">", 10]}]}}', event), true);
    assert.equal(testEventPattern('{"detail": {"amount": [{"numeric": [">", 30]}]}}', event), false);
  });

  test("an event that is not a JSON object, or lacks an envelope field, is a ValidationException", () => {
    const pattern = '{"source": ["shop"]}';
    const bad = ["plain string", '["plain string"]', '{"testEvent": "value"}', "null", "{"];
    for (const field of REQUIRED_EVENT_FIELDS) {
      const { [field]: _, ...rest } = envelope;
      bad.push(JSON.stringify(rest));
    }
    for (const text of bad) {
      assert.throws(
        () => testEventPattern(pattern, text),
        (e: unknown) =>
          e instanceof InvalidEventError &&
          e.code === "ValidationException" &&
          e.message === "Parameter Event is not valid.",
        text,
      );
    }
  });

  test("the event is checked before the pattern", () => {
    assert.throws(() => testEventPattern("[", "plain string"), InvalidEventError);
    assert.throws(() => testEventPattern("[", JSON.stringify(envelope)), InvalidEventPatternError);
  });
});
