/**
 * The Lambda runtime interface client of Chat4All's host-process Lambda executor (LocalStack plugin,
 * infra/stack/localstack/plugin/chat4all_localstack.py). It is what the nodejs runtime's bootstrap is on AWS: it
 * loads the handler (the init phase), then loops on the Lambda Runtime API the executor serves at
 * AWS_LAMBDA_RUNTIME_API (GET /2018-06-01/runtime/invocation/next, POST …/{id}/response | …/{id}/error,
 * POST …/init/error), running one invocation at a time. Plain JavaScript, no dependency: it runs on the
 * function's own Node runtime (the stage's Node 24), with the function's environment only.
 *
 * Handler resolution follows the AWS Node.js runtime (aws-lambda-nodejs-runtime-interface-client): `_HANDLER` is
 * `<path/module>.<export[.nested]>`, the module is looked up under LAMBDA_TASK_ROOT as .js (ESM when the nearest
 * package.json says "type": "module"), .mjs, .cjs, then as a package; errors are Runtime.MalformedHandlerName,
 * Runtime.ImportModuleError, Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound in Lambda's error shape.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const HANDLER = process.env._HANDLER ?? '';
/** Written on stdout after each invocation, before its response: the executor cuts the invocation's logs there. */
const LOG_MARK = '\u001echat4all-invocation-end ';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const [host, port] = API.split(':');
    const req = http.request(
      { host, port, method, path: `/2018-06-01/runtime${route}`, agent, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const post = (route, payload, errorType) =>
  request('POST', route, JSON.stringify(payload), {
    'content-type': 'application/json',
    ...(errorType ? { 'lambda-runtime-function-error-type': errorType } : {}),
  });

class RuntimeError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.name = type;
    this.cause = cause;
  }
}

/** Lambda's error shape: {errorType, errorMessage, trace}. */
function errorShape(error) {
  if (error instanceof Error) {
    const type = error instanceof RuntimeError ? error.name : error.name || error.constructor?.name || 'Error';
    const stack = (error instanceof RuntimeError && error.cause instanceof Error ? error.cause : error).stack ?? '';
    return { errorType: type, errorMessage: error.message, trace: stack.split('\n') };
  }
  try {
    return { errorType: typeof error, errorMessage: JSON.stringify(error), trace: [] };
  } catch {
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  }
}

function isEsmPackage(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    const file = path.join(current, 'package.json');
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (current === path.dirname(current) || current === path.dirname(TASK_ROOT)) return false;
  }
}

async function loadModule(moduleRoot, moduleName) {
  const base = path.resolve(TASK_ROOT, moduleRoot, moduleName);
  const require = createRequire(path.join(TASK_ROOT, 'index.js'));
  const load = async (file, esm) => (esm ? import(pathToFileURL(file).href) : require(file));
  if (fs.existsSync(`${base}.js`)) return load(`${base}.js`, isEsmPackage(path.dirname(base)));
  if (fs.existsSync(`${base}.mjs`)) return load(`${base}.mjs`, true);
  if (fs.existsSync(`${base}.cjs`)) return load(`${base}.cjs`, false);
  try {
    return require(require.resolve(moduleName, { paths: [path.resolve(TASK_ROOT, moduleRoot)] }));
  } catch (error) {
    if (error?.code === 'ERR_REQUIRE_ESM') return import(require.resolve(moduleName, { paths: [TASK_ROOT] }));
    throw error;
  }
}

async function loadHandler() {
  const handlerString = path.basename(HANDLER);
  const moduleRoot = HANDLER.slice(0, HANDLER.length - handlerString.length);
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${HANDLER}`);
  const [, moduleName, exportPath] = match;
  let module;
  try {
    module = await loadModule(moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', String(error), error);
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND')
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${error.message.split('\n')[0]}`, error);
    throw error;
  }
  const handler = exportPath.split('.').reduce((object, key) => object?.[key], module);
  if (typeof handler !== 'function')
    throw new RuntimeError('Runtime.HandlerNotFound', `${HANDLER} is undefined or not exported`);
  return handler;
}

function contextOf(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const parse = (value) => (value ? JSON.parse(value) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers['lambda-runtime-cognito-identity']),
    clientContext: parse(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

let handler;
try {
  handler = await loadHandler();
} catch (error) {
  const shape = errorShape(error);
  console.error(JSON.stringify({ level: 'error', msg: 'init failed', ...shape }));
  await post('/init/error', shape, shape.errorType).catch(() => undefined);
  process.exit(1);
}

for (;;) {
  const next = await request('GET', '/invocation/next');
  if (next.status !== 200) {
    console.error(`runtime API answered ${next.status} to /invocation/next: ${next.body}`);
    process.exit(1);
  }
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
  let outcome;
  try {
    const event = JSON.parse(next.body.toString('utf8') || 'null');
    const result = await handler(event, contextOf(next.headers));
    outcome = { ok: true, body: result === undefined ? 'null' : JSON.stringify(result) };
  } catch (error) {
    outcome = { ok: false, shape: errorShape(error) };
    // As the AWS runtime does: the error also goes to the function's logs.
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(outcome.shape)}`);
  }
  process.stdout.write(`${LOG_MARK}${requestId}\n`);
  if (outcome.ok)
    await request('POST', `/invocation/${requestId}/response`, outcome.body, { 'content-type': 'application/json' });
  else await post(`/invocation/${requestId}/error`, outcome.shape, outcome.shape.errorType);
}
