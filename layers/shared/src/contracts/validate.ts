import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini loads no language: without one every problem reads "Invalid input".
z.config(en());

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

interface Issue {
  path: PropertyKey[];
  message: string;
}

/** Each problem as `path: message`, e.g. `status: Invalid option: expected one of "ACCEPTED"|…`. */
export const describeIssues = (issues: readonly Issue[]): string =>
  issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'value'}: ${issue.message}`).join('; ');

/** A record's value checked against its topic's schema: the typed value, or why it is not one. */
export function checkRecordValue<S extends z.ZodMiniType>(schema: S, value: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: describeIssues(result.error.issues) };
}
