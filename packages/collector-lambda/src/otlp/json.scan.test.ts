import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quoteLongIntegers } from "./json.js";

/** The rule the scanner implements, as the regular expression it replaced (kept here as the oracle). */
const LONG_INTEGER_FIELD = /(?<!\\)"(startTimeUnixNano|endTimeUnixNano|timeUnixNano|intValue)"([ \t\r\n]*:[ \t\r\n]*)(-?\d{16,})(?=[ \t\r\n]*[,}\]])/g;
const oracle = (text: string): string => text.replace(LONG_INTEGER_FIELD, '"$1"$2"$3"');

describe("quoteLongIntegers", () => {
  it("quotes bare integers of 16+ digits in the four int64 fields, and nothing else", () => {
    const body = `{"startTimeUnixNano":1767225600000000001,"endTimeUnixNano" :  -1767225600000000003 ,"timeUnixNano":\n1767225600000000002],
      "intValue":9007199254740993}, "otherNano":1767225600000000001, "intValue":123456789012345, "intValue":12345678901234567x,
      "s":"\\"intValue\\": 12345678901234567890", "startTimeUnixNano":"1767225600000000001"`;
    expect(quoteLongIntegers(body)).toBe(`{"startTimeUnixNano":"1767225600000000001","endTimeUnixNano" :  "-1767225600000000003" ,"timeUnixNano":\n"1767225600000000002"],
      "intValue":"9007199254740993"}, "otherNano":1767225600000000001, "intValue":123456789012345, "intValue":12345678901234567x,
      "s":"\\"intValue\\": 12345678901234567890", "startTimeUnixNano":"1767225600000000001"`);
  });

  it("returns the very string when there is nothing to quote", () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"1767225600000000001","attributes":[{"key":"n","value":{"intValue":7}}]}]}]}]}`;
    expect(quoteLongIntegers(body)).toBe(body);
  });

  it("agrees with the regular expression on generated bodies", () => {
    const key = fc.constantFrom("startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "intValue", "UnixNano", "TimeUnixNano", "xintValue", "StartTimeUnixNano", "start");
    const space = fc.constantFrom("", " ", "\n", "\t ", "  ");
    const number = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 24 })).map(([negative, digits]) => `${negative ? "-" : ""}${"9".repeat(digits)}`);
    const value = fc.oneof(number, number.map((n) => `"${n}"`), fc.constantFrom("true", "null", "1.5e30", "{}"));
    const after = fc.constantFrom(",", "}", "]", " ,", "x", "", " ", ".5,");
    const before = fc.constantFrom("{", ",", "\\", " ", '"', "\\\\");
    const field = fc.tuple(before, key, fc.constantFrom('"', '\\"'), space, space, value, after).map(([b, k, q, s1, s2, v, a]) => `${b}"${k}${q}${s1}:${s2}${v}${a}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(field, fc.string({ maxLength: 8 })), { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        expect(quoteLongIntegers(text)).toBe(oracle(text));
      }),
      { numRuns: 3000 },
    );
  });
});
