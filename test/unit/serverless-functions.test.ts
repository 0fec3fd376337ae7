import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { loadFunctions } from '../../infra/functions.js';
import { ROOT } from '../../infra/stack/paths.js';

describe('serverless.yml', () => {
  const functions = loadFunctions();

  it('declares at least the health function, each built from an existing source file', () => {
    assert.ok(functions.some((fn) => fn.name === 'health'));
    for (const fn of functions) assert.ok(fs.existsSync(path.join(ROOT, fn.source)), `${fn.name}: ${fn.source} exists`);
  });

  it('uses the ports of the design for serverless-offline and never Serverless v4 features', () => {
    const parsed = YAML.parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'));
    const offline = parsed.custom['serverless-offline'];
    assert.deepEqual([offline.httpPort, offline.websocketPort, offline.lambdaPort], [8080, 3001, 3002]);
    assert.equal(parsed.org, undefined, 'no Serverless Dashboard org');
    assert.equal(parsed.app, undefined, 'no Serverless Dashboard app');
  });
});
