// kafkajs 2.2.4 (its latest release) arms a timer of `throttledUntil - Date.now()` ms in its request queue even when
// nothing is throttled or pending: a negative delay, which Node 24 reports as a TimeoutNegativeWarning in every
// process that talks to Kafka. This clamps that delay at 0 ms, which is what Node did with it silently before.
// Run by npm after every install (package.json "postinstall"); idempotent, and it says so when the code it expects
// is gone (a kafkajs release that changed it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = path.join(root, 'node_modules/kafkajs/src/network/requestQueue/index.js');
const before = '      }, scheduleAt)\n';
const after = '      }, Math.max(0, scheduleAt))\n';

if (fs.existsSync(file)) {
  const source = fs.readFileSync(file, 'utf8');
  if (source.includes(before)) fs.writeFileSync(file, source.replace(before, after));
  else if (!source.includes(after))
    console.warn(`infra/patches/kafkajs.mjs: ${file} changed; the patch is not needed or needs a look`);
}
