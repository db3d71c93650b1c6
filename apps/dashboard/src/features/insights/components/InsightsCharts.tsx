"use client";

import Link from "next/link";
import type { ReactElement } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount, formatDuration } from "../../../shared/fns/format";
import { runsHref } from "../../runs/fns/query";
import { bucketLabel, topLatency } from "../fns/chart-data";
import type { InsightsData } from "../types";

const COLORS = { ok: "#2f8f57", error: "#b01f14", running: "#c28a00", input: "#2451b8", output: "#8aa6e6", p50: "#2451b8", p95: "#b01f14" };
const KIND_TITLES = { agent: "Runs by agent", node: "Nodes", tool: "Tools", llm: "Model calls" } as const;

function ChartPanel({ title, testId, children }: { title: string; testId: string; children: ReactElement }) {
  return (
    <section className="panel chart-panel" data-testid={testId} aria-label={title}>
      <h2>{title}</h2>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height={220}>
          {children}
        </ResponsiveContainer>
      </div>
    </section>
  );
}

/** Runs over time by status, error rate, tokens over time, and latency percentiles by group. */
export function InsightsCharts({ data }: { data: InsightsData }) {
  const points = data.points.map((p) => ({ ...p, label: bucketLabel(p.t, data.bucketMs) }));
  return (
    <div className="charts">
      <ChartPanel title="Runs over time, by status" testId="chart-runs">
        <BarChart data={points}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={11} />
          <YAxis allowDecimals={false} fontSize={11} width={40} />
          <Tooltip />
          <Legend />
          <Bar dataKey="ok" stackId="s" fill={COLORS.ok} name="ok" isAnimationActive={false} />
          <Bar dataKey="error" stackId="s" fill={COLORS.error} name="error" isAnimationActive={false} />
          <Bar dataKey="running" stackId="s" fill={COLORS.running} name="running" isAnimationActive={false} />
        </BarChart>
      </ChartPanel>
      <ChartPanel title="Error rate (% of finished runs)" testId="chart-error-rate">
        <LineChart data={points}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={11} />
          <YAxis domain={[0, 100]} unit="%" fontSize={11} width={44} />
          <Tooltip formatter={(value) => `${String(value)}%`} />
          {/* Straight segments between the buckets that had finished runs, a dot on each, and a gap where none finished: no curve invented between them. */}
          <Line type="linear" dataKey="errorRate" stroke={COLORS.error} name="error rate" connectNulls={false} dot={{ r: 2 }} isAnimationActive={false} />
        </LineChart>
      </ChartPanel>
      <ChartPanel title="Tokens over time (gen_ai.usage.*)" testId="chart-tokens">
        <AreaChart data={points}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" fontSize={11} />
          <YAxis fontSize={11} width={52} />
          <Tooltip />
          <Legend />
          <Area type="linear" dataKey="inputTokens" stackId="t" stroke={COLORS.input} fill={COLORS.input} fillOpacity={0.35} name="input tokens" isAnimationActive={false} />
          <Area type="linear" dataKey="outputTokens" stackId="t" stroke={COLORS.output} fill={COLORS.output} fillOpacity={0.5} name="output tokens" isAnimationActive={false} />
        </AreaChart>
      </ChartPanel>
      {(["agent", "node", "tool", "llm"] as const).map((kind) => {
        const rows = topLatency(data.latency, kind);
        if (rows.length === 0) return null;
        return (
          <section key={kind} className="panel chart-panel latency-panel" data-testid={`latency-${kind}`} aria-label={`Latency: ${KIND_TITLES[kind]}`}>
            <h2>Latency p50 / p95 — {KIND_TITLES[kind]}</h2>
            <div className="chart-box">
              <ResponsiveContainer width="100%" height={Math.max(120, rows.length * 28 + 40)}>
                <BarChart data={rows} layout="vertical" margin={{ left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                  <XAxis type="number" unit=" ms" fontSize={11} />
                  <YAxis type="category" dataKey="name" width={140} fontSize={11} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="p50Ms" fill={COLORS.p50} name="p50 (ms)" isAnimationActive={false} />
                  <Bar dataKey="p95Ms" fill={COLORS.p95} name="p95 (ms)" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <table className="diff latency-table">
              <thead>
                <tr>
                  <th scope="col">{kind === "agent" ? "Agent" : "Name"}</th>
                  <th scope="col">Count</th>
                  <th scope="col">Errors</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.name} data-testid="latency-row" data-name={row.name} data-count={row.count} data-p50-ms={row.p50Ms} data-p95-ms={row.p95Ms}>
                    <td className="mono">{kind === "agent" ? <Link href={runsHref({ agent: row.name })}>{row.name}</Link> : row.name}</td>
                    <td>{formatCount(row.count)}</td>
                    <td>
                      {kind === "agent" && row.errors > 0 ? <Link href={runsHref({ agent: row.name, status: "error" })}>{formatCount(row.errors)}</Link> : formatCount(row.errors)} ({row.count === 0 ? 0 : Math.round((row.errors / row.count) * 100)}%)
                    </td>
                    <td>{formatDuration(row.p50Ms)}</td>
                    <td>{formatDuration(row.p95Ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        );
      })}
    </div>
  );
}
