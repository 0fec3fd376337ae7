import { badRequest } from './errors.js';

/** Small, explicit validators: each returns the typed value or throws a 400 naming the field. */

export type Body = Record<string, unknown>;

export function requireObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object', 'invalid_body');
  }
  return body as Body;
}

/** Rejects fields the operation does not know, so typos do not pass silently. */
export function rejectUnknownFields(body: Body, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw badRequest(`unknown field(s): ${unknown.join(', ')}`, 'unknown_field');
}

export function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`, 'invalid_field');
  return value;
}

export function requireString(body: Body, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') throw badRequest(`${field} is required`, 'missing_field');
  return value;
}

export function requireMatch(value: string, pattern: RegExp, field: string, hint: string): string {
  if (!pattern.test(value)) throw badRequest(`${field} ${hint}`, 'invalid_field');
  return value;
}

/** An integer query parameter within [min, max], or the fallback when absent. */
export function intParam(
  raw: string | undefined,
  field: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`${field} must be an integer`, 'invalid_parameter');
  const value = Number(raw);
  if (value < min || value > max) throw badRequest(`${field} must be between ${min} and ${max}`, 'invalid_parameter');
  return value;
}

/** A path parameter, URL-decoded, or a 400 when it is missing or malformed. */
export function pathParam(params: Record<string, string | undefined> | null, name: string, pattern: RegExp): string {
  const raw = params?.[name];
  let value: string | undefined;
  try {
    value = raw === undefined ? undefined : decodeURIComponent(raw);
  } catch {
    value = undefined;
  }
  if (!value || !pattern.test(value)) throw badRequest(`${name} in the path is not valid`, 'invalid_path_parameter');
  return value;
}

/** A list of strings (for example member ids), 1 to `max` items. */
export function requireStringList(body: Body, field: string, max: number): string[] {
  const value = body[field];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > max ||
    !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 100)
  ) {
    throw badRequest(`${field} must be a list of 1 to ${max} user ids or usernames`, 'invalid_field');
  }
  return value as string[];
}

/** A UTF-16 surrogate without its pair: no Unicode text, and UTF-8 (Cassandra, Kafka, S3) would store it as U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Where a parsed JSON value holds a string (or key) with a lone surrogate, as `field.list[2]`; undefined when none. */
export function malformedTextAt(value: unknown): string | undefined {
  // Iterative: a 1 MB body may nest 500,000 levels deep, far beyond the call stack.
  const pending: [unknown, string][] = [[value, '']];
  const label = (key: string) => (LONE_SURROGATE.test(key) ? key.replace(/\p{Cs}/gu, '\ufffd') : key).slice(0, 64);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, path] = next;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return path || 'the body';
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push([node[i], `${path}[${i}]`]);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node).reverse()) {
        const at = path ? `${path}.${label(key)}` : label(key);
        if (LONE_SURROGATE.test(key)) return at;
        pending.push([item, at]);
      }
    }
  }
  return undefined;
}

/** 400 invalid_text when any text in the value is not well-formed Unicode (a lone UTF-16 surrogate). */
export function requireWellFormedText(value: unknown): void {
  let at = malformedTextAt(value);
  if (at === undefined) return;
  if (at.length > 200) at = `${at.slice(0, 200)}…`;
  throw badRequest(
    `${at} is not valid Unicode text: it holds a lone UTF-16 surrogate (\\ud800-\\udfff)`,
    'invalid_text',
  );
}
