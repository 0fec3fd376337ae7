/**
 * The provider emulators, one process: WhatsApp Cloud API and Instagram Messaging API on the ports of their base
 * URLs in config (WHATSAPP_API_URL, INSTAGRAM_API_URL), posting signed webhooks to the API (WHATSAPP_WEBHOOK_URL,
 * INSTAGRAM_WEBHOOK_URL). Started by `npm start` and `npm test` (infra/emulators/process.ts), or `npm run emulators`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { config } from '@chat4all/shared/config.js';
import { emulatorPidFile } from './process.js';
import { instagramEmulator } from './instagram.js';
import { whatsappEmulator } from './whatsapp.js';

const portOf = (url: string): number => Number(new URL(url).port || 80);
const api = process.env.WEBHOOK_BASE_URL ?? 'http://127.0.0.1:8080';

const whatsapp = whatsappEmulator(
  portOf(config.channels.whatsapp.apiUrl),
  process.env.WHATSAPP_WEBHOOK_URL ?? `${api}/webhooks/whatsapp`,
);
const instagram = instagramEmulator(
  portOf(config.channels.instagram.apiUrl),
  process.env.INSTAGRAM_WEBHOOK_URL ?? `${api}/webhooks/instagram`,
);

const ports = [await whatsapp.start(), await instagram.start()];
fs.mkdirSync(path.dirname(emulatorPidFile), { recursive: true });
fs.writeFileSync(emulatorPidFile, `${process.pid}\n`);
process.on('exit', () => {
  if (fs.existsSync(emulatorPidFile) && fs.readFileSync(emulatorPidFile, 'utf8').trim() === String(process.pid))
    fs.rmSync(emulatorPidFile, { force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void Promise.all([whatsapp.emulator.close(), instagram.emulator.close()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
console.log(
  JSON.stringify({
    level: 'info',
    component: 'emulators',
    pid: process.pid,
    whatsapp: ports[0],
    instagram: ports[1],
    msg: 'provider emulators running',
  }),
);
