import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Second } from './recorder.js';

export const REPORTS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'reports');

/** The machine a run measured, named in every report. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}; every service co-located`;
}

/** A small SVG line chart of one or more series over time (no dependencies, readable on GitHub). */
export function lineChart(
  title: string,
  unit: string,
  series: { label: string; color: string; points: [number, number][] }[],
): string {
  const width = 720;
  const height = 260;
  const pad = { left: 60, right: 20, top: 30, bottom: 40 };
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = Math.max(1, ...all.map(([, y]) => y)) * 1.1;
  const x = (v: number) => pad.left + (v / maxX) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / maxY) * (height - pad.top - pad.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('\n');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.left + 10 + i * 160}" y="${pad.top - 10}" fill="${s.color}" font-size="12">■ ${s.label}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="16" text-anchor="middle" font-size="14">${title}</text>
${ticks.map((t) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="10">${t.toFixed(t < 10 ? 1 : 0)}</text>`).join('\n')}
<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11">seconds</text>
<text x="14" y="${height / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${height / 2})">${unit}</text>
${lines}
${legend}
</svg>
`;
}

/** Rate and latency charts of a run's timeline. */
export function timelineCharts(name: string, timeline: Second[]): { rate: string; latency: string } {
  return {
    rate: lineChart(`${name}: requests per second`, 'per second', [
      { label: 'offered', color: '#888', points: timeline.map((s) => [s.t, s.offered]) },
      { label: 'ok', color: '#1a7f37', points: timeline.map((s) => [s.t, s.ok]) },
      { label: 'errors', color: '#cf222e', points: timeline.map((s) => [s.t, s.errors]) },
    ]),
    latency: lineChart(`${name}: latency`, 'ms', [
      { label: 'p50', color: '#0969da', points: timeline.map((s) => [s.t, s.p50_ms]) },
      { label: 'p99', color: '#bf8700', points: timeline.map((s) => [s.t, s.p99_ms]) },
    ]),
  };
}

export function writeReport(file: string, content: string): string {
  const target = path.join(REPORTS_DIR, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  return target;
}
