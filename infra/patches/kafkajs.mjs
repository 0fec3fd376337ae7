// kafkajs 2.2.4 (its latest release) arms a timer of `throttledUntil - Date.now()` ms in its request queue even when
// nothing is throttled or pending: a negative delay, which Node 24 reports as a TimeoutNegativeWarning in every
// process that talks to Kafka. This clamps that delay at 0 ms, which is what Node did with it silently before.
import { applyPatch } from './apply.mjs';

applyPatch('kafkajs.mjs', 'node_modules/kafkajs/src/network/requestQueue/index.js', [
  ['      }, scheduleAt)\n', '      }, Math.max(0, scheduleAt))\n'],
]);
