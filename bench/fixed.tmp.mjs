import { init, tool } from "@tracewright/instrument";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
const tracing = init({ spanProcessors: [], register: false });
const bare = new BasicTracerProvider().getTracer("b");
const input = { q: 1 }, output = { r: 2 };
const base = async () => { const span = bare.startSpan("execute_tool web_search"); span.setAttribute("input.value", JSON.stringify(input)); span.setAttribute("output.value", JSON.stringify(output)); span.end(); return output; };
const ours = () => tool("web_search", input, () => output);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const n = 50000;
const mode = process.argv[2];
for (let r = 0; r < 5; r++) {
  if (mode === "ours") { for (let i = 0; i < n * 4; i++) await ours(); continue; }
  let t = cpu(); for (let i = 0; i < n; i++) await base(); const b = cpu() - t;
  t = cpu(); for (let i = 0; i < n; i++) await ours(); const a = cpu() - t;
  console.log(`base ${(b / n * 1000).toFixed(2)} µs, ours ${(a / n * 1000).toFixed(2)} µs, diff ${((a - b) / n * 1000).toFixed(2)}`);
}
