import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Downloads, data, logs and pid files of the native stack: one ignored folder. */
export const STACK_DIR = path.resolve(ROOT, process.env.CHAT4ALL_STACK_DIR ?? '.stack');

export const serviceDir = (service: string, ...parts: string[]): string => path.join(STACK_DIR, service, ...parts);
