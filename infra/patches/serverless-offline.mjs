// serverless-offline 14 runs every in-process invocation as if it were the first: it copies the function's whole
// environment into process.env (each key a call into C++) and resolves the handler module again (existsSync for each
// extension, package.json lookups, an import() of a cached module). Together they were about a tenth of the API
// process's CPU under load, work Lambda does once per sandbox. This patch loads each runner's handler once and sets
// only the variables whose value differs from what the last invocation set. Our functions never write process.env.
// Run by npm after every install (package.json "postinstall"); idempotent, and it says so when the code it expects
// is gone (a release that changed it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = path.join(
  root,
  'node_modules/serverless-offline/src/lambda/handler-runner/in-process-runner/InProcessRunner.js',
);
const replacements = [
  [
    'const { floor } = Math\n',
    'const { floor } = Math\n' +
      '// chat4all patch (infra/patches/serverless-offline.mjs): the values this process last set, per variable\n' +
      'const assignedEnv = new Map()\n',
  ],
  ['  #timeout = null\n', '  #timeout = null\n\n  #loadedHandler = null\n'],
  [
    '    assign(process.env, this.#env)\n\n    const handler = await load(\n      this.#servicePath,\n      join(this.#codeDir, this.#handler),\n    )\n',
    '    for (const [key, raw] of Object.entries(this.#env)) {\n' +
      '      const value = String(raw)\n' +
      '      if (assignedEnv.get(key) !== value) {\n' +
      '        process.env[key] = value\n' +
      '        assignedEnv.set(key, value)\n' +
      '      }\n' +
      '    }\n\n' +
      '    this.#loadedHandler ??= load(this.#servicePath, join(this.#codeDir, this.#handler))\n' +
      '    const handler = await this.#loadedHandler\n',
  ],
];

if (fs.existsSync(file)) {
  let source = fs.readFileSync(file, 'utf8');
  if (source.includes('chat4all patch')) process.exit(0);
  if (replacements.every(([before]) => source.includes(before))) {
    for (const [before, after] of replacements) source = source.replace(before, after);
    fs.writeFileSync(file, source);
  } else console.warn(`infra/patches/serverless-offline.mjs: ${file} changed; the patch is not needed or needs a look`);
}
