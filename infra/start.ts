/**
 * npm start: brings the stack up when it is not running, builds the functions, serves them under serverless-offline,
 * and runs the provider emulators and the Kafka event-source bridge, supervised: a child that exits unexpectedly is
 * started again (infra/supervisor.ts). Processes an earlier npm start left behind (its terminal closed, it was killed)
 * are stopped and started afresh, so what runs is always this checkout's code; a port held by another program is
 * refused. Ctrl-C stops the API, emulators and bridge; the stack keeps running (npm stop stops everything).
 */
import fs from 'node:fs';
import { API, startApi } from './api.js';
import { busyPorts, runningAppProcesses, runningSupervisor, stopPid, supervisorPidFile } from './app-processes.js';
import { startBridge } from './bridge/process.js';
import { startEmulators } from './emulators/process.js';
import { log, up } from './stack/commands.js';
import { Supervisor } from './supervisor.js';

const earlier = runningSupervisor();
if (earlier !== undefined) {
  console.error(`npm start is already running (pid ${earlier}): npm run stack:status shows it, npm stop stops it`);
  process.exit(1);
}
for (const orphan of runningAppProcesses()) {
  log('start', `stopping the ${orphan.name} an earlier npm start left running (pid ${orphan.pid})`);
  await stopPid(orphan.pid);
}
const busy = await busyPorts();
if (busy.length > 0) {
  console.error(`port ${busy.join(', ')} is in use by another program (not one of Chat4All's): stop it first`);
  process.exit(1);
}
fs.writeFileSync(supervisorPidFile, `${process.pid}\n`);
const removePidFile = () => {
  if (runningSupervisor() === process.pid) fs.rmSync(supervisorPidFile, { force: true });
};

log('start', `Node ${process.version} (${process.execPath})`);
log('start', 'checking the stack (starts what is not running)');
await up();

const supervisor = new Supervisor({ log: (line) => log('start', line) });
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log('start', 'stopping the API, emulators and bridge');
    await supervisor.stop();
    // A child the supervisor was starting again when the signal came is not one of its children yet.
    for (const left of runningAppProcesses()) await stopPid(left.pid);
    removePidFile();
    process.exit(0);
  });
}

log('start', 'building functions and starting serverless-offline');
await supervisor.add({ name: 'api', start: (attempt) => startApi('inherit', { build: attempt === 1 }) });
log('start', 'starting the provider emulators (WhatsApp Cloud API :4010, Instagram Messaging API :4011)');
await supervisor.add({
  name: 'emulators',
  start: async () => {
    const child = await startEmulators('inherit');
    if (!child) throw new Error('the emulators answer already, but were not started by this npm start');
    return child;
  },
});
log('start', 'starting the Kafka event-source bridge (router, status, connectors)');
await supervisor.add({ name: 'bridge', start: () => startBridge('inherit') });

console.log(`
Chat4All is up (Node ${process.version}, npm start pid ${process.pid}).
  HTTP API        ${API.http}            try: curl ${API.http}/health
  WebSocket       ${API.websocket}
  Lambda Invoke   ${API.lambda}            (@aws-sdk/client-lambda endpoint)
  Prometheus      http://127.0.0.1:9090
  Pushgateway     http://127.0.0.1:9091
  S3 (LocalStack) http://127.0.0.1:4566
A child that exits is started again. Ctrl-C stops the API, emulators and bridge; npm stop stops everything.
`);
