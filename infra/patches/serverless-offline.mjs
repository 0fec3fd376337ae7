// serverless-offline 14 runs every in-process invocation as if it were the first: it copies the function's whole
// environment into process.env (each key a call into C++) and resolves the handler module again (existsSync for each
// extension, package.json lookups, an import() of a cached module). Together they were about a tenth of the API
// process's CPU under load, work Lambda does once per sandbox. This patch loads each runner's handler once and sets
// only the variables whose value differs from what the last invocation set. Our functions never write process.env.
import { applyPatch } from './apply.mjs';

const file = 'node_modules/serverless-offline/src/lambda/handler-runner/in-process-runner/InProcessRunner.js';
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

applyPatch('serverless-offline.mjs', file, replacements);
