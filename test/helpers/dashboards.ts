import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../infra/stack/paths.js';

/** What the tests need of a dashboard's JSON (the committed files, as Grafana reads them). */
export interface DashboardTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
export interface DashboardPanel {
  id?: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}
export interface DashboardJson {
  uid: string;
  title: string;
  panels?: DashboardPanel[];
  templating?: { list?: { name: string; query?: string | { query?: string } }[] };
}

export const DASHBOARDS_DIR = path.join(ROOT, 'observability/grafana/dashboards');

export function committedDashboards(): Record<string, DashboardJson> {
  return Object.fromEntries(
    fs
      .readdirSync(DASHBOARDS_DIR)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => [
        file.replace(/\.json$/, ''),
        JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as DashboardJson,
      ]),
  );
}

/** Every panel that shows data: rows are containers, their (collapsed) panels count. */
export function dataPanels(dashboard: DashboardJson): DashboardPanel[] {
  return (dashboard.panels ?? []).flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(dashboards: Record<string, DashboardJson>): PanelQuery[] {
  return Object.values(dashboards).flatMap((dashboard) =>
    dataPanels(dashboard).flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        dashboard: dashboard.title,
        panel: panel.title,
        refId: target.refId ?? '?',
        expr: target.expr ?? '',
      })),
    ),
  );
}

export function variableQueries(dashboard: DashboardJson): { name: string; query: string }[] {
  return (dashboard.templating?.list ?? []).map((variable) => ({
    name: variable.name,
    query: typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? ''),
  }));
}

/** Grafana's built-in interval variables, as the data test substitutes them. */
export const BUILTINS: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '5m' };

/**
 * The expression Prometheus would receive for a time range of 5 minutes at a 15 s step with every template
 * variable on "All" (`.*`; queries match template variables with `=~`).
 */
export function substitute(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_match, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    return BUILTINS[name] ?? (name.startsWith('__') ? _match : '.*');
  });
}

/** The template variables (not Grafana built-ins) an expression uses, with what stands before each. */
export function templateVariableUses(expr: string): { name: string; before: string }[] {
  return [...expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)]
    .map((match) => ({ name: (match[1] ?? match[2] ?? match[3])!, before: expr.slice(0, match.index) }))
    .filter((use) => !use.name.startsWith('__'));
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (functions, labels, strings and durations set aside). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/g)) names.add(match[1]!);
  const stripped = expr
    .replace(/label_values\([^)]*\)/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\w$]+/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, ' ');
  for (const match of stripped.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/**
 * The names observability/METRICS.md catalogs: every metric of its tables (for a histogram, its `_bucket`,
 * `_count` and `_sum` series) and every recording rule (`a:b:p50` / `:p95` expands to `a:b:p50`, `a:b:p95`).
 */
export function catalog(markdown = fs.readFileSync(path.join(ROOT, 'observability/METRICS.md'), 'utf8')): {
  metrics: Set<string>;
  records: Set<string>;
} {
  const metrics = new Set<string>();
  const records = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const [first = '', type = ''] = line.split('|').slice(1, 3);
    const names: string[] = [];
    for (const [, token] of first.matchAll(/`([^`]+)`/g)) {
      if (token!.startsWith(':') && names.length > 0) names.push(names.at(-1)!.replace(/:[^:]*$/, token!));
      else names.push(token!);
    }
    for (const name of names) {
      if (!/^[a-zA-Z_:][\w:]*$/.test(name)) continue;
      if (name.includes(':')) {
        records.add(name);
        continue;
      }
      // A histogram has no series of its own name in Prometheus, only these three.
      if (type.trim().startsWith('histogram'))
        for (const suffix of ['_bucket', '_count', '_sum']) metrics.add(`${name}${suffix}`);
      else metrics.add(name);
    }
  }
  return { metrics, records };
}
