/**
 * Bundles every function of serverless.yml with esbuild into dist/ (one ESM file each, with
 * source maps) and prints the bundle sizes. serverless-offline and the deploy both use dist/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { loadFunctions } from './functions.js';
import { ROOT } from './stack/paths.js';

// CommonJS dependencies (kafkajs, cassandra-driver) call require() on Node built-ins.
export const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The esbuild options of every function bundle: these (everything bundled) and the deploy's (infra/deploy/package.ts). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  tsconfig: path.join(ROOT, 'tsconfig.json'),
  logLevel: 'warning',
} satisfies BuildOptions;

export async function buildFunctions({ quiet = false } = {}): Promise<Record<string, number>> {
  const functions = loadFunctions();
  const sizes: Record<string, number> = {};
  await Promise.all(
    functions.map(async (fn) => {
      await build({
        entryPoints: [path.join(ROOT, fn.source)],
        outfile: path.join(ROOT, fn.bundle),
        ...BUNDLE_OPTIONS,
        banner: { js: REQUIRE_SHIM },
      });
      sizes[fn.name] = fs.statSync(path.join(ROOT, fn.bundle)).size;
    }),
  );
  if (!quiet) {
    for (const fn of functions)
      console.log(`  ${fn.name.padEnd(24)} ${(sizes[fn.name]! / 1024).toFixed(0).padStart(6)} KB  ${fn.bundle}`);
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildFunctions();
}
