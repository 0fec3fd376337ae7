// cassandra-driver 4.10.0 (its latest release) can run two refreshes of its control connection at once (a health
// listener's and a scheduled reconnection's): the second sets `connection` to null while the first awaits metadata,
// and the first then throws "Cannot read properties of null (reading 'once')" in _setHealthListeners, from a
// background promise, which ends the whole process. The fault suite's Cassandra stall killed serverless-offline this
// way. Upstream: NODEJS-681, apache/cassandra-nodejs-driver#462 (open), which serializes _refresh; so does this: a
// refresh asked for while one runs joins it, and the retry inside a refresh stays inside it.
import { applyPatch } from './apply.mjs';

const file = 'node_modules/cassandra-driver/lib/control-connection.js';
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

applyPatch('cassandra-driver.mjs', file, replacements);
