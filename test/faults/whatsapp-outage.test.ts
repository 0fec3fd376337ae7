import { after, describe, it } from 'node:test';
import { delay } from '../../infra/stack/processes.js';
import { emulator } from '../../infra/emulators/control.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

const OUTAGE_S = 30;
const whatsapp = emulator('whatsapp');
after(() => whatsapp.clearFaults());

describe('fault: WhatsApp down', { timeout: 600_000 }, () => {
  it(`messages wait as PENDING through a ${OUTAGE_S} s outage and all arrive after it`, async () => {
    const outcome = await runFaultScenario({
      name: 'whatsapp-outage',
      fault: `WhatsApp API drops every connection for ${OUTAGE_S} s`,
      inject: async () => {
        await whatsapp.setFaults({ outageSeconds: OUTAGE_S, outageMode: 'reset' });
        await delay(OUTAGE_S * 1000);
        await whatsapp.clearFaults();
      },
    });
    assertNothingLost(outcome);
  });
});
