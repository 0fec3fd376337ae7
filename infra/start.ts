/**
 * npm start: brings the stack up when it is not running, builds the functions, serves them
 * under serverless-offline and runs the Kafka event-source bridge. Ctrl-C stops the API; the stack keeps running (npm run stack:down).
 */
import { API, isApiUp, startApi } from './api.js';
import { startBridge } from './bridge/process.js';
import { startEmulators } from './emulators/process.js';
import { log, up } from './stack/commands.js';

if (await isApiUp()) {
  console.error(`port ${API.httpPort} is already in use: is npm start running elsewhere?`);
  process.exit(1);
}

log('start', `Node ${process.version} (${process.execPath})`);
log('start', 'checking the stack (starts what is not running)');
await up();
log('start', 'building functions and starting serverless-offline');
const api = await startApi('inherit');
log('start', 'starting the provider emulators (WhatsApp Cloud API :4010, Instagram Messaging API :4011)');
const emulators = await startEmulators('inherit');
log('start', 'starting the Kafka event-source bridge (router, status, connectors)');
const bridge = await startBridge('inherit');

console.log(`
Chat4All is up.
  HTTP API        ${API.http}            try: curl ${API.http}/health
  WebSocket       ${API.websocket}
  Lambda Invoke   ${API.lambda}            (@aws-sdk/client-lambda endpoint)
  Prometheus      http://127.0.0.1:9090
  Pushgateway     http://127.0.0.1:9091
  S3 (LocalStack) http://127.0.0.1:4566
Ctrl-C stops the API; npm run stack:down stops the services.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    bridge.kill('SIGTERM');
    emulators?.kill('SIGTERM');
    api.kill('SIGTERM');
  });
}
api.on('exit', (code) => {
  bridge.kill('SIGTERM');
  emulators?.kill('SIGTERM');
  process.exit(code ?? 0);
});
bridge.on('exit', (code) => {
  if (code !== 0) log('start', `the bridge exited with ${code}; npm start again to restart it`);
});
