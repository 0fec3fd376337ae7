/**
 * npm run stack:up | stack:down [service] | stack:status | stack:logs [service...] [-f]
 * The real services Chat4All runs on, started natively (JDK, Python, Debian packages) or with compose.
 */
import { down, logs, status, up } from './commands.js';

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, () => Promise<number | void> | void> = {
  up: async () => {
    await up();
  },
  down: () => down(rest[0]),
  status,
  logs: () => logs(rest),
};

const run = command ? commands[command] : undefined;
if (!run) {
  console.error('usage: stack (up | down [service] | status | logs [service...] [-f])');
  process.exit(2);
}
try {
  const code = await run();
  if (command !== 'logs') process.exit(typeof code === 'number' ? code : 0);
} catch (error) {
  console.error(`\nstack ${command} failed: ${(error as Error).message}`);
  console.error('see npm run stack:logs, and Troubleshooting in README.md');
  process.exit(1);
}
