/**
 * npm stop: stops everything the project started — npm start (which stops its children), any API, bridge or emulators
 * left running without it, then the stack's services. npm run stack:down stops only the services.
 */
import { runningAppProcesses, runningSupervisor, stopPid } from './app-processes.js';
import { down, log } from './stack/commands.js';

const supervisor = runningSupervisor();
if (supervisor !== undefined) {
  log('stop', `stopping npm start (pid ${supervisor}) and what it runs`);
  await stopPid(supervisor, 30_000);
}
for (const { name, pid } of runningAppProcesses()) {
  log('stop', `stopping the ${name} (pid ${pid})`);
  await stopPid(pid);
}
await down();
log('stop', 'everything Chat4All started is stopped');
