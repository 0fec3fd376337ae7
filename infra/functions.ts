import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT } from './stack/paths.js';

export interface FunctionDefinition {
  name: string;
  /** As written in serverless.yml, for example dist/functions/health/get.handler */
  handler: string;
  /** The TypeScript source, for example functions/health/get.ts */
  source: string;
  /** The bundle esbuild writes, for example dist/functions/health/get.mjs */
  bundle: string;
  events: Record<string, unknown>[];
}

interface ServerlessFile {
  functions: Record<string, { handler: string; events?: Record<string, unknown>[] }>;
}

/** The functions serverless.yml declares, with the source file each handler is built from. */
export function loadFunctions(file = path.join(ROOT, 'serverless.yml')): FunctionDefinition[] {
  const parsed = YAML.parse(fs.readFileSync(file, 'utf8')) as ServerlessFile;
  return Object.entries(parsed.functions).map(([name, fn]) => {
    const modulePath = fn.handler.replace(/\.[^./]+$/, '');
    if (!modulePath.startsWith('dist/')) throw new Error(`${name}: handler must live under dist/ (got ${fn.handler})`);
    return {
      name,
      handler: fn.handler,
      source: `${modulePath.slice('dist/'.length)}.ts`,
      bundle: `${modulePath}.mjs`,
      events: fn.events ?? [],
    };
  });
}
