/**
 * The deployable artifact: one small esbuild bundle per function of serverless.yml (its own code only) and
 * one Lambda layer built from layers/ with everything the functions share:
 *   nodejs/node_modules/@chat4all/shared/…  layers/shared/src, the modules the functions import (ESM, code-split)
 *   nodejs/node_modules/<package>/…         the production dependencies those import, with their own dependencies
 * Zips go to dist/deploy/ (deterministic: same code, same bytes, so an unchanged redeploy uploads nothing).
 * serverless-offline keeps its fully bundled dist/functions/*.mjs (infra/build.ts); nothing here touches them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import yazl from 'yazl';
import { BUNDLE_OPTIONS } from '../build.js';
import { loadFunctions } from '../functions.js';
import { ROOT } from '../stack/paths.js';

export const DEPLOY_DIR = path.join(ROOT, 'dist', 'deploy');
export const LAYER_ZIP = path.join(DEPLOY_DIR, 'layers', 'shared.zip');
export const MANIFEST = path.join(DEPLOY_DIR, 'manifest.json');
const SHARED_PACKAGE = '@chat4all/shared';
const SHARED_SRC = path.join(ROOT, 'layers', 'shared', 'src');
/** Zip entries get a fixed time so that the same files always make the same zip. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

export interface PackagedFunction {
  name: string;
  handler: string;
  /** The zip (absolute path) serverless.yml's function deploys, holding the handler's bundle and source map. */
  zip: string;
  bundleBytes: number;
  zipBytes: number;
}

export interface Manifest {
  builtAt: string;
  functions: PackagedFunction[];
  layer: { zip: string; zipBytes: number; unzippedBytes: number; files: number; packages: string[] };
}

/** Bare imports (packages, and @chat4all/shared) stay imports: the layer provides them at run time. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
  },
};

const packageName = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || BUILTINS.has(packageName(specifier));

/** The bare specifiers the outputs of a build import. */
function externalImports(metafile: Metafile): Set<string> {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const imported of output.imports)
      if (imported.external && !isBuiltin(imported.path) && /^[^./]/.test(imported.path)) found.add(imported.path);
  return found;
}

/** Where Node would find `name` when imported from a file in `fromDir` (walking up node_modules to ROOT). */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === path.dirname(dir)) return undefined;
  }
}

/** Package directories (under ROOT/node_modules) of `names` and everything they depend on at run time. */
function dependencyClosure(names: Iterable<string>): string[] {
  const dirs = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean): void => {
    const dir = resolvePackageDir(name, fromDir);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} is imported but not installed (npm ci)`);
    }
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, ROOT, false);
  return [...dirs].sort();
}

/** Type declarations, source maps and docs are never loaded at run time; licences stay. */
const shipped = (relative: string): boolean => {
  const base = path.basename(relative);
  if (/\.d\.[cm]?ts$/.test(base) || base.endsWith('.map') || base.endsWith('.ts')) return false;
  if (/\.(md|markdown)$/i.test(base) && !/^licen[cs]e/i.test(base)) return false;
  return !relative.split(path.sep).some((part) => part === 'dist-types' || part === '.github');
};

/** Copies (hard-links where it can: the staging folder is thrown away) a package's run-time files. */
function copyPackage(dir: string, layerNodeModules: string, madeDirs: Set<string>): void {
  const target = path.join(layerNodeModules, path.relative(path.join(ROOT, 'node_modules'), dir));
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relative = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (relative.split(path.sep).includes('node_modules')) continue; // nested packages are copied on their own
    if (!shipped(relative)) continue;
    const destination = path.join(target, relative);
    if (!madeDirs.has(path.dirname(destination))) {
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      madeDirs.add(path.dirname(destination));
    }
    try {
      fs.linkSync(path.join(dir, relative), destination);
    } catch {
      fs.copyFileSync(path.join(dir, relative), destination);
    }
  }
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((relative) => fs.statSync(path.join(dir, relative)).isFile())
    .sort();
}

/** Zips `files` (relative to `baseDir`, stored under the same relative names) into `zipPath`. */
async function writeZip(zipPath: string, baseDir: string, files: string[]): Promise<number> {
  fs.mkdirSync(path.dirname(zipPath), { recursive: true });
  const zip = new yazl.ZipFile();
  for (const relative of files)
    zip.addBuffer(fs.readFileSync(path.join(baseDir, relative)), relative.split(path.sep).join('/'), {
      mtime: ZIP_MTIME,
      mode: 0o100644,
    });
  zip.end();
  const temporary = `${zipPath}.${process.pid}.tmp`;
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(temporary);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
  });
  fs.renameSync(temporary, zipPath);
  return fs.statSync(zipPath).size;
}

/**
 * Imports every packaged handler the way Lambda would, in a fresh Node process outside the repository: the
 * function's own files plus the layer (bare specifiers resolve in /opt/nodejs/node_modules), nothing else.
 * Fails when a bundle imports something the layer lacks or a module does not export `handler`.
 */
function checkHandlersLoad(taskDir: string, layerNodeModules: string, bundles: string[]): void {
  const hook = `
    import { pathToFileURL } from 'node:url';
    const layer = pathToFileURL(${JSON.stringify(layerNodeModules + '/')}).href;
    export async function resolve(specifier, context, next) {
      try { return await next(specifier, context); } catch (error) {
        if (error?.code !== 'ERR_MODULE_NOT_FOUND' || /^[./]|^node:|^file:/.test(specifier)) throw error;
        return next(specifier, { ...context, parentURL: layer });
      }
    }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    const bad = [];
    for (const bundle of ${JSON.stringify(bundles)}) {
      try {
        const module = await import(${JSON.stringify(taskDir + '/')} + bundle);
        if (typeof module.handler !== 'function') bad.push(bundle + ': no exported handler');
      } catch (error) { bad.push(bundle + ': ' + error.message.split('\\n')[0]); }
    }
    if (bad.length) { console.error(bad.join('\\n')); process.exit(1); }
    process.exit(0);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: taskDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, METRICS_PUSH: 'off', LOG_LEVEL: 'silent', AWS_REGION: 'us-east-1' },
    timeout: 60_000,
  });
  if (result.status !== 0)
    throw new Error(`packaged handlers do not load with only the layer:\n${result.stderr || result.stdout}`);
}

/** Builds the function zips and the layer zip into dist/deploy and writes dist/deploy/manifest.json. */
export async function packageForDeploy(): Promise<Manifest> {
  const functions = loadFunctions();
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'chat4all-deploy-'));
  try {
    const taskDir = path.join(stage, 'task');
    const layerDir = path.join(stage, 'layer');
    const layerNodeModules = path.join(layerDir, 'nodejs', 'node_modules');

    // 1. Function bundles: the handler's own code; packages and shared code are imports the layer resolves.
    const imported = new Set<string>();
    await Promise.all(
      functions.map(async (fn) => {
        const result = await build({
          ...BUNDLE_OPTIONS,
          entryPoints: [path.join(ROOT, fn.source)],
          outfile: path.join(taskDir, fn.bundle),
          plugins: [externalPackages],
          metafile: true,
        });
        for (const specifier of externalImports(result.metafile)) imported.add(specifier);
      }),
    );

    // 2. The shared code the functions import, as the package @chat4all/shared (one module graph, code-split,
    //    so that a module's state, such as a client, exists once per process however it is reached).
    const sharedEntries = [...imported]
      .filter((specifier) => specifier.startsWith(`${SHARED_PACKAGE}/`))
      .map((specifier) => path.join(SHARED_SRC, specifier.slice(SHARED_PACKAGE.length + 1).replace(/\.js$/, '.ts')))
      .sort(); // the same entry order makes the same chunks
    const sharedOut = path.join(layerNodeModules, SHARED_PACKAGE);
    const shared = await build({
      ...BUNDLE_OPTIONS,
      entryPoints: sharedEntries,
      outdir: sharedOut,
      outbase: SHARED_SRC,
      splitting: true,
      chunkNames: '_chunks/[name]-[hash]',
      plugins: [externalPackages],
      metafile: true,
    });
    fs.writeFileSync(
      path.join(sharedOut, 'package.json'),
      `${JSON.stringify({ name: SHARED_PACKAGE, private: true, type: 'module', exports: { './*': './*' } }, null, 2)}\n`,
    );

    // 3. The production dependencies actually imported, with their own dependencies.
    const packages = new Set(
      [...imported, ...externalImports(shared.metafile)]
        .filter((specifier) => !specifier.startsWith(`${SHARED_PACKAGE}/`))
        .map(packageName),
    );
    const dependencies = dependencyClosure(packages);
    const madeDirs = new Set<string>();
    for (const dir of dependencies) copyPackage(dir, layerNodeModules, madeDirs);

    checkHandlersLoad(
      taskDir,
      layerNodeModules,
      functions.map((fn) => fn.bundle),
    );

    // 4. Zips.
    fs.rmSync(DEPLOY_DIR, { recursive: true, force: true });
    const packaged = await Promise.all(
      functions.map(async (fn): Promise<PackagedFunction> => {
        const files = [fn.bundle, `${fn.bundle}.map`].filter((file) => fs.existsSync(path.join(taskDir, file)));
        const zip = path.join(DEPLOY_DIR, 'functions', `${fn.name}.zip`);
        const zipBytes = await writeZip(zip, taskDir, files);
        return {
          name: fn.name,
          handler: fn.handler,
          zip,
          bundleBytes: fs.statSync(path.join(taskDir, fn.bundle)).size,
          zipBytes,
        };
      }),
    );
    const layerFiles = listFiles(layerDir);
    const layerZipBytes = await writeZip(LAYER_ZIP, layerDir, layerFiles);
    const manifest: Manifest = {
      builtAt: new Date().toISOString(),
      functions: packaged,
      layer: {
        zip: LAYER_ZIP,
        zipBytes: layerZipBytes,
        unzippedBytes: layerFiles.reduce((sum, file) => sum + fs.statSync(path.join(layerDir, file)).size, 0),
        files: layerFiles.length,
        packages: [
          SHARED_PACKAGE,
          ...dependencies.map((dir) => path.relative(path.join(ROOT, 'node_modules'), dir).split(path.sep).join('/')),
        ],
      },
    };
    fs.writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export function printSizes(manifest: Manifest): void {
  console.log(`  ${'function'.padEnd(26)} ${'bundle'.padStart(10)} ${'zip'.padStart(10)}`);
  for (const fn of manifest.functions)
    console.log(`  ${fn.name.padEnd(26)} ${kb(fn.bundleBytes).padStart(10)} ${kb(fn.zipBytes).padStart(10)}`);
  const { layer } = manifest;
  console.log(
    `  layer shared: ${kb(layer.zipBytes)} zipped, ${kb(layer.unzippedBytes)} unzipped, ${layer.files} files, ` +
      `${layer.packages.length} packages (${layer.packages.join(', ')})`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  printSizes(await packageForDeploy());
  console.log(`packaged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
