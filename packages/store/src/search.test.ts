import { OpenInference } from "@tracewright/instrument/conventions";
import { describe, expect, it } from "vitest";
import { searchText } from "./sqlite.js";
import { makeSpan } from "./testing.js";

/** The search text of a span whose input state is the raw attribute text `input`. */
function textOf(input: string): string {
  const span = makeSpan({ run: "r", key: "a/tool:t#0" });
  span.attributes[OpenInference.INPUT_VALUE] = input;
  return searchText(span);
}

describe("searchText", () => {
  it("reads a JSON state as its keys and leaf values, in document order", () => {
    expect(textOf('{"q":"say \\"hi\\"","n":[1,2.50,{"deep":true}],"none":null}')).toBe('q\nsay "hi"\nn\n1\n2.5\ndeep\ntrue\nnone');
    expect(textOf(' \n["a", -3]')).toBe("a\n-3");
    expect(textOf('"just a JSON string"')).toBe("just a JSON string");
    expect(textOf("false")).toBe("false");
  });

  it("keeps plain text, and text that only looks like JSON, as it is", () => {
    expect(textOf("What does Lambda cost?")).toBe("What does Lambda cost?");
    expect(textOf("{not json")).toBe("{not json");
    expect(textOf("1 apple, 2 pears")).toBe("1 apple, 2 pears");
    expect(textOf("")).toBe("");
  });
});
