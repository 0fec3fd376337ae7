import { after, describe, it } from 'node:test';
import { delay } from '../../infra/stack/processes.js';
import { emulator } from '../../infra/emulators/control.js';
import { assertNothingLost } from './expectations.js';
import { runFaultScenario } from './scenario.js';

const FAULT_S = 30;
const providers = [emulator('whatsapp'), emulator('instagram')];
after(() => Promise.all(providers.map((provider) => provider.clearFaults())));

describe('fault: providers answering errors', { timeout: 600_000 }, () => {
  it('20 % 5xx and 429 with Retry-After: retried with backoff, nothing dropped', async () => {
    const outcome = await runFaultScenario({
      name: 'provider-errors',
      fault: `WhatsApp and Instagram answer 10 % 500/503 and 10 % 429 (Retry-After: 1) for ${FAULT_S} s`,
      inject: async () => {
        await Promise.all(
          providers.map((provider) =>
            provider.setFaults({ errorRates: { '500': 0.05, '503': 0.05, '429': 0.1 }, retryAfterSeconds: 1 }),
          ),
        );
        await delay(FAULT_S * 1000);
        await Promise.all(providers.map((provider) => provider.clearFaults()));
      },
    });
    assertNothingLost(outcome);
  });
});
