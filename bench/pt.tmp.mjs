import { init, tool } from "@tracewright/instrument";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
function state(bytes) {
  const items = []; let size = 2;
  for (let i = 0; size < bytes; i++) { const item = { id: `doc-${i}`, score: i / 7, text: "lorem ipsum dolor sit amet ".repeat(3), tags: ["a", "b"] }; items.push(item); size += JSON.stringify(item).length + 1; }
  return { query: "lambda pricing", items };
}
const bytes = Number(process.argv[2] ?? 102400); const n = Number(process.argv[3] ?? 2000);
const input = state(bytes), output = state(bytes);
const tracing = init({ spanProcessors: [], register: false });
const bare = new BasicTracerProvider().getTracer("b");
const base = async () => { const span = bare.startSpan("execute_tool web_search"); span.setAttribute("input.value", JSON.stringify(input)); span.setAttribute("output.value", JSON.stringify(output)); span.end(); return output; };
const ours = () => tool("web_search", input, () => output);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const mode = process.argv[4] ?? "both";
for (let r = 0; r < 5; r++) {
  let t = cpu(); if (mode !== "ours") for (let i = 0; i < n; i++) await base(); const b = cpu() - t;
  t = cpu(); if (mode !== "base") for (let i = 0; i < n; i++) await ours(); const a = cpu() - t;
  console.log(`base ${(b / n * 1000).toFixed(1)} µs, ours ${(a / n * 1000).toFixed(1)} µs, ratio ${(a / b).toFixed(3)}`);
}
