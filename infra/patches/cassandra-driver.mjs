// cassandra-driver 4.10.0 (its latest release) can run two refreshes of its control connection at once (a health
// listener's and a scheduled reconnection's): the second sets `connection` to null while the first awaits metadata,
// and the first then throws "Cannot read properties of null (reading 'once')" in _setHealthListeners, from a
// background promise, which ends the whole process. The fault suite's Cassandra stall killed serverless-offline this
// way. Upstream: NODEJS-681, apache/cassandra-nodejs-driver#462 (open), which serializes _refresh; so does this: a
// refresh asked for while one runs joins it, and the retry inside a refresh stays inside it.
// Run by npm after every install (package.json "postinstall"); idempotent, and it says so when the code it expects
// is gone (a release that changed it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = path.join(root, 'node_modules/cassandra-driver/lib/control-connection.js');
const replacements = [
  [
    '  async _refresh(hostIterator) {\n',
    '  _refresh(hostIterator) {\n' +
      '    // chat4all patch (infra/patches/cassandra-driver.mjs): one refresh at a time\n' +
      '    if (this._refreshing) return this._refreshing;\n' +
      '    this._refreshing = this._refreshOnce(hostIterator).finally(() => { this._refreshing = null; });\n' +
      '    return this._refreshing;\n' +
      '  }\n\n' +
      '  async _refreshOnce(hostIterator) {\n',
  ],
  ['      return await this._refresh(hostIterator);\n', '      return await this._refreshOnce(hostIterator);\n'],
];

if (fs.existsSync(file)) {
  let source = fs.readFileSync(file, 'utf8');
  if (source.includes('chat4all patch')) process.exit(0);
  if (replacements.every(([before]) => source.includes(before))) {
    for (const [before, after] of replacements) source = source.replace(before, after);
    fs.writeFileSync(file, source);
  } else console.warn(`infra/patches/cassandra-driver.mjs: ${file} changed; the patch is not needed or needs a look`);
}
