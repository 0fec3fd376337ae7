import type * as z from 'zod/mini';
import { checkRecordValue } from '../contracts/validate.js';
import type { DecodedRecord } from './event.js';

export type ValidRecord<T> = DecodedRecord<unknown> & { value: T };

export interface InvalidRecord {
  record: DecodedRecord<unknown>;
  /** What the record is not, and why: `not a status event: status: Invalid option: …`. */
  reason: string;
}

/**
 * The records of a batch checked against their topic's schema where they enter a function: the valid ones with
 * their typed values, in order, and the others with the reason, for the dead-letter topic. One malformed record
 * never fails the batch (a retry could not make it valid).
 */
export function checkRecords<S extends z.ZodMiniType>(
  records: DecodedRecord<unknown>[],
  schema: S,
  expected: string,
): { valid: ValidRecord<z.output<S>>[]; invalid: InvalidRecord[] } {
  const valid: ValidRecord<z.output<S>>[] = [];
  const invalid: InvalidRecord[] = [];
  for (const record of records) {
    const checked = checkRecordValue(schema, record.value);
    if (checked.ok) valid.push({ ...record, value: checked.value });
    else invalid.push({ record, reason: `not ${expected}: ${checked.reason}` });
  }
  return { valid, invalid };
}
