/**
 * Deploys stage `local` of serverless.yml to LocalStack (osls 4, whose AWS SDK v3 clients follow
 * AWS_ENDPOINT_URL; the osls plugin infra/deploy/serverless-plugin.mjs keeps that stage on LocalStack), removes
 * it, and verifies a deployment through the AWS SDK against serverless.yml and the template osls compiled.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  APIGatewayClient,
  GetIntegrationCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
} from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client, GetApisCommand, GetRoutesCommand } from '@aws-sdk/client-apigatewayv2';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetFunctionCommand,
  GetLayerVersionCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListLayerVersionsCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import YAML from 'yaml';
import { loadFunctions, type FunctionDefinition } from '../functions.js';
import { dockerEngineAnswers } from '../stack/compose.js';
import { ROOT, STACK_DIR } from '../stack/paths.js';
import { isAlive, readPid } from '../stack/processes.js';
import { MANIFEST, type Manifest } from './package.js';

export const ENDPOINT = process.env.AWS_ENDPOINT_URL || 'http://127.0.0.1:4566';
export const REGION = process.env.AWS_REGION || 'us-east-1';
export const STAGE = 'local';
const SERVICE = 'chat4all';
const STACK_NAME = `${SERVICE}-${STAGE}`;
/** The stack's own files bucket (npm run stack:up), used by serverless-offline and the tests: never CloudFormation's. */
const STACK_FILES_BUCKET = 'chat4all-files';
/** The files bucket the deployed stage owns (created and deleted with it). */
export const DEPLOY_BUCKET = process.env.CHAT4ALL_DEPLOY_BUCKET || 'chat4all-local-files';
/**
 * The provider emulators the deployed stage calls (infra/emulators, started by whoever drives the stage, e.g.
 * test/integration/localstack-e2e.test.ts); their webhooks go to the stage's own API Gateway routes.
 */
export const STAGE_EMULATORS = {
  whatsapp: process.env.CHAT4ALL_STAGE_WHATSAPP_API_URL || 'http://127.0.0.1:4012',
  instagram: process.env.CHAT4ALL_STAGE_INSTAGRAM_API_URL || 'http://127.0.0.1:4013',
};
const TEMPLATE = path.join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
const LOCK = path.join(STACK_DIR, 'deploy-local.lock');

const clientConfig = {
  endpoint: ENDPOINT,
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 2,
};

// ---------------------------------------------------------------------------------------------------------------
// deploy / remove

/** osls without network (no telemetry, no notifications), pointed at LocalStack. */
function oslsEnvironment(): NodeJS.ProcessEnv {
  if (DEPLOY_BUCKET === STACK_FILES_BUCKET)
    throw new Error(`the deployed stage must not own ${STACK_FILES_BUCKET} (the stack's bucket): pick another name`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_AWS_MONITORING_FREQUENCY: '1000',
    AWS_ENDPOINT_URL: ENDPOINT,
    AWS_REGION: REGION,
    S3_BUCKET: DEPLOY_BUCKET,
  };
  // The functions sign and verify tokens with the local stack's key (their /var/task is not the repository, so the
  // relative JWT_PRIVATE_KEY_FILE of serverless-offline would not find it).
  const keyFile = path.join(STACK_DIR, 'jwt', 'private.pem');
  if (!env.JWT_PRIVATE_KEY && fs.existsSync(keyFile)) env.JWT_PRIVATE_KEY = fs.readFileSync(keyFile, 'utf8');
  // The stage's bucket lives in the LocalStack it is deployed to; its providers are the stage's own emulators, so
  // that what the stage sends never mixes with what serverless-offline's connectors send to :4010/:4011.
  env.S3_ENDPOINT ||= ENDPOINT;
  env.WHATSAPP_API_URL ||= STAGE_EMULATORS.whatsapp;
  env.INSTAGRAM_API_URL ||= STAGE_EMULATORS.instagram;
  return env;
}

async function osls(args: string[], echo: boolean): Promise<string> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/osls'), [...args, '--stage', STAGE, '--region', REGION], {
    cwd: ROOT,
    env: oslsEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    if (echo) process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0)
    throw new Error(`osls ${args.join(' ')} failed (exit ${code}):\n${output.split('\n').slice(-40).join('\n')}`);
  return output;
}

/** One deploy (or removal) at a time on this machine: CloudFormation refuses concurrent updates of a stack. */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  const holder = (): number | undefined => {
    try {
      const pid = Number.parseInt(fs.readFileSync(LOCK, 'utf8'), 10);
      return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  for (;;) {
    const taken = (() => {
      try {
        fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    })();
    if (taken) break;
    const pid = holder();
    if (pid === undefined)
      fs.rmSync(LOCK, { force: true }); // left by a process that is gone
    else if (Date.now() > deadline) throw new Error(`another deploy (pid ${pid}) holds ${LOCK}`);
    else await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK, { force: true });
  }
}

/**
 * Fails fast, with the fix, where a deploy cannot work: LocalStack down, or (without Docker) started without the
 * plugin's host-process Lambda executor, which would leave every function `Failed` and undeletable.
 */
export async function preflight(): Promise<{ docker: boolean }> {
  const health = await fetch(`${ENDPOINT}/_localstack/health`, { signal: AbortSignal.timeout(5000) })
    .then((response) => response.json() as Promise<{ services?: Record<string, string> }>)
    .catch(() => undefined);
  if (!health?.services) throw new Error(`LocalStack does not answer at ${ENDPOINT}: npm run stack:up`);
  const missing = ['lambda', 'cloudformation', 'apigateway', 's3', 'iam'].filter((name) => !health.services![name]);
  if (missing.length) throw new Error(`LocalStack at ${ENDPOINT} lacks ${missing.join(', ')}`);
  const docker = dockerEngineAnswers();
  const pid = readPid('localstack');
  if (!docker && pid !== undefined && isAlive(pid) && new URL(ENDPOINT).port === '4566') {
    let environ = '';
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      /* not Linux: the verification reports failed functions instead */
    }
    const variables = environ.split('\0');
    if (
      environ &&
      !variables.includes('LAMBDA_RUNTIME_EXECUTOR=host-process') &&
      !variables.includes('LAMBDA_RUNTIME_EXECUTOR=no-docker')
    )
      throw new Error(
        `LocalStack (pid ${pid}) runs without LAMBDA_RUNTIME_EXECUTOR=host-process and there is no Docker engine: its ` +
          'functions would all end up Failed. Restart it once with the current settings: ' +
          'npm run stack:down -- localstack && npm run stack:up',
      );
  }
  return { docker };
}

export interface DeployResult {
  manifest: Manifest;
  verification: Verification;
  seconds: { package: number; deploy: number; verify: number };
  skipped: boolean;
}

/** Packages, deploys stage `local` to LocalStack and verifies it; `echo` streams osls's output. */
export async function deployLocal({ echo = false } = {}): Promise<DeployResult> {
  await preflight();
  return withLock(async () => {
    const { packageForDeploy } = await import('./package.js');
    let started = Date.now();
    const manifest = await packageForDeploy();
    const packageSeconds = (Date.now() - started) / 1000;
    started = Date.now();
    const output = await osls(['deploy'], echo);
    const deploySeconds = (Date.now() - started) / 1000;
    started = Date.now();
    const verification = await verifyDeployment(manifest);
    return {
      manifest,
      verification,
      seconds: { package: packageSeconds, deploy: deploySeconds, verify: (Date.now() - started) / 1000 },
      skipped: /No changes to deploy/.test(output),
    };
  });
}

/** Whether stage `local` is deployed (its CloudFormation stack exists). */
async function stackExists(): Promise<boolean> {
  const cloudformation = new CloudFormationClient(clientConfig);
  try {
    const stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).Stacks?.[0];
    return stack !== undefined && stack.StackStatus !== 'DELETE_COMPLETE';
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return false;
    throw error;
  } finally {
    cloudformation.destroy();
  }
}

/** Removes stage `local` from LocalStack (the stack's own bucket chat4all-files stays); false when there was none. */
export async function removeLocal({ echo = false } = {}): Promise<boolean> {
  return withLock(async () => {
    if (!(await stackExists())) return false;
    if (!fs.existsSync(MANIFEST)) {
      // osls checks that the layer's artifact exists even to remove it.
      const { packageForDeploy } = await import('./package.js');
      await packageForDeploy();
    }
    await osls(['remove'], echo);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// verify

export interface FunctionRow {
  name: string;
  deployedName: string;
  handler: string;
  runtime: string;
  state: string;
  triggers: string[];
  bundleBytes: number;
  zipBytes: number;
  codeSize: number;
  environmentVariables: number;
}

export interface Verification {
  problems: string[];
  stackStatus: string;
  functions: FunctionRow[];
  layer: { arn: string; codeSize: number };
  role: string;
  bucket: string;
  restApi: { id: string; url: string; routes: string[] };
  websocket: { routes: string[]; supported: boolean; note: string };
  kafka: {
    function: string;
    topic: string;
    uuid: string;
    state: string;
    bootstrapServers: string[];
    consumerGroup: string;
  }[];
}

interface TemplateResource {
  Type: string;
  Properties: Record<string, unknown>;
}

interface HttpEvent {
  method: string;
  path: string;
}

interface KafkaEvent {
  topic: string;
  consumerGroupId?: string;
  batchSize?: number;
  startingPosition?: string;
}

function httpEventOf(event: Record<string, unknown>): HttpEvent | undefined {
  const http = event.http as string | { method: string; path: string } | undefined;
  if (!http) return undefined;
  const [method, route] = typeof http === 'string' ? http.split(/\s+/, 2) : [http.method, http.path];
  return { method: method!.toUpperCase(), path: `/${route!.replace(/^\/+/, '')}` };
}

const triggersOf = (fn: FunctionDefinition): string[] =>
  fn.events.flatMap((event) => {
    const http = httpEventOf(event);
    if (http) return [`${http.method} ${http.path}`];
    if (event.websocket) return [`ws ${(event.websocket as { route: string }).route}`];
    if (event.kafka) return [`kafka ${(event.kafka as KafkaEvent).topic}`];
    return Object.keys(event);
  });

/**
 * Checks LocalStack against serverless.yml (every function, HTTP route, WebSocket route and Kafka trigger) and
 * against the template osls compiled for this deploy (resolved environment, runtime, handler, layer).
 */
export async function verifyDeployment(manifest: Manifest): Promise<Verification> {
  const problems: string[] = [];
  const functions = loadFunctions();
  const serverlessYml = YAML.parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
    provider: { runtime: string };
  };
  const template = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8')) as { Resources: Record<string, TemplateResource> };
  const resources = Object.values(template.Resources);
  const templateFunctionId = (deployedName: string): string | undefined =>
    Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === deployedName,
    )?.[0];

  const lambda = new LambdaClient(clientConfig);
  const apigateway = new APIGatewayClient(clientConfig);
  const apigatewayv2 = new ApiGatewayV2Client(clientConfig);
  const cloudformation = new CloudFormationClient(clientConfig);
  const iam = new IAMClient(clientConfig);
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  try {
    // The stack.
    const stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: STACK_NAME }))).Stacks?.[0];
    const stackStatus = stack?.StackStatus ?? 'MISSING';
    if (!/^(CREATE|UPDATE)_COMPLETE$/.test(stackStatus)) problems.push(`stack ${STACK_NAME}: ${stackStatus}`);

    // The layer: its latest version, with the bytes of this build.
    const layerName = `${SERVICE}-${STAGE}-shared`;
    const layerVersions = (await lambda.send(new ListLayerVersionsCommand({ LayerName: layerName }))).LayerVersions;
    const latest = layerVersions?.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0))[0];
    const layerArn = latest?.LayerVersionArn ?? '';
    let layerCodeSize = 0;
    if (!latest?.Version) problems.push(`layer ${layerName}: missing`);
    else {
      const layer = await lambda.send(
        new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: latest.Version }),
      );
      layerCodeSize = layer.Content?.CodeSize ?? 0;
      if (layerCodeSize !== manifest.layer.zipBytes)
        problems.push(`layer ${layerArn}: ${layerCodeSize} bytes, the packaged zip has ${manifest.layer.zipBytes}`);
      if (!(layer.CompatibleRuntimes as string[] | undefined)?.includes(serverlessYml.provider.runtime))
        problems.push(`layer ${layerArn}: compatible runtimes ${layer.CompatibleRuntimes?.join(', ')}`);
    }

    // Functions.
    const packaged = new Map(manifest.functions.map((fn) => [fn.name, fn]));
    const roles = new Set<string>();
    const rows: FunctionRow[] = [];
    for (const fn of functions) {
      const deployedName = `${SERVICE}-${STAGE}-${fn.name}`;
      const built = packaged.get(fn.name);
      const row: FunctionRow = {
        name: fn.name,
        deployedName,
        handler: fn.handler,
        runtime: '',
        state: 'MISSING',
        triggers: triggersOf(fn),
        bundleBytes: built?.bundleBytes ?? 0,
        zipBytes: built?.zipBytes ?? 0,
        codeSize: 0,
        environmentVariables: 0,
      };
      rows.push(row);
      const configuration = await lambda
        .send(new GetFunctionCommand({ FunctionName: deployedName }))
        .then((response) => response.Configuration)
        .catch(() => undefined);
      if (!configuration) {
        problems.push(`${fn.name}: function ${deployedName} missing`);
        continue;
      }
      row.runtime = configuration.Runtime ?? '';
      row.state = configuration.State ?? '';
      row.codeSize = configuration.CodeSize ?? 0;
      const environment = configuration.Environment?.Variables ?? {};
      row.environmentVariables = Object.keys(environment).length;
      if (configuration.Handler !== fn.handler)
        problems.push(`${fn.name}: handler ${configuration.Handler}, expected ${fn.handler}`);
      if (configuration.Runtime !== serverlessYml.provider.runtime)
        problems.push(`${fn.name}: runtime ${configuration.Runtime}, expected ${serverlessYml.provider.runtime}`);
      if (configuration.State !== 'Active')
        problems.push(`${fn.name}: state ${configuration.State} (${configuration.StateReason ?? 'no reason given'})`);
      if (!configuration.Layers?.some((layer) => layer.Arn === layerArn))
        problems.push(
          `${fn.name}: layers ${JSON.stringify(configuration.Layers?.map((l) => l.Arn))}, expected ${layerArn}`,
        );
      if (built && configuration.CodeSize !== built.zipBytes)
        problems.push(`${fn.name}: code size ${configuration.CodeSize}, the packaged zip has ${built.zipBytes}`);
      const logicalId = templateFunctionId(deployedName);
      const expected = (
        logicalId
          ? (template.Resources[logicalId]!.Properties.Environment as { Variables?: Record<string, string> })
          : {}
      )?.Variables;
      if (!expected) problems.push(`${fn.name}: not in the compiled template`);
      else
        for (const [key, value] of Object.entries(expected))
          if (environment[key] !== String(value))
            problems.push(
              `${fn.name}: environment ${key} is ${JSON.stringify(environment[key])}, expected ${JSON.stringify(value)}`,
            );
      if (configuration.Role) roles.add(configuration.Role);
    }

    // IAM role (one for all functions) and the stage's bucket.
    const roleArn = [...roles][0] ?? '';
    if (roles.size !== 1) problems.push(`functions use ${roles.size} roles, expected 1`);
    else
      await iam.send(new GetRoleCommand({ RoleName: roleArn.split('/').pop()! })).catch((error: Error) => {
        problems.push(`role ${roleArn}: ${error.name}`);
      });
    await s3.send(new HeadBucketCommand({ Bucket: DEPLOY_BUCKET })).catch((error: Error) => {
      problems.push(`bucket ${DEPLOY_BUCKET}: ${error.name}`);
    });

    // HTTP API: every route of serverless.yml, integrated with its function.
    const restApi = (await apigateway.send(new GetRestApisCommand({ limit: 500 }))).items?.find(
      (api) => api.name === `${STAGE}-${SERVICE}`,
    );
    const routes: string[] = [];
    if (!restApi?.id) problems.push(`REST API ${STAGE}-${SERVICE}: missing`);
    else {
      await apigateway.send(new GetStageCommand({ restApiId: restApi.id, stageName: STAGE })).catch(() => {
        problems.push(`REST API stage ${STAGE}: missing`);
      });
      const apiResources =
        (await apigateway.send(new GetResourcesCommand({ restApiId: restApi.id, limit: 500 }))).items ?? [];
      for (const fn of functions)
        for (const event of fn.events) {
          const http = httpEventOf(event);
          if (!http) continue;
          const resource = apiResources.find((r) => r.path === http.path);
          if (!resource?.id || !resource.resourceMethods?.[http.method]) {
            problems.push(`${fn.name}: route ${http.method} ${http.path} missing`);
            continue;
          }
          const integration = await apigateway
            .send(
              new GetIntegrationCommand({ restApiId: restApi.id, resourceId: resource.id, httpMethod: http.method }),
            )
            .catch(() => undefined);
          if (!integration?.uri?.includes(`:function:${SERVICE}-${STAGE}-${fn.name}/`))
            problems.push(`${fn.name}: route ${http.method} ${http.path} is not integrated with its function`);
          else routes.push(`${http.method} ${http.path}`);
        }
    }

    // WebSocket API (API Gateway v2): LocalStack's community edition has none; check it where it exists.
    const websocketRoutes = functions.flatMap((fn) =>
      fn.events.flatMap((event) => (event.websocket ? [(event.websocket as { route: string }).route] : [])),
    );
    let websocket: Verification['websocket'] = { routes: websocketRoutes, supported: true, note: '' };
    if (websocketRoutes.length) {
      const apis = await apigatewayv2.send(new GetApisCommand({})).catch((error: Error) => error);
      if (apis instanceof Error) {
        websocket = {
          routes: websocketRoutes,
          supported: false,
          note: `not deployed: LocalStack has no API Gateway v2 here (${apis.name}: ${apis.message.split('\n')[0]})`,
        };
      } else {
        const api = apis.Items?.find((item) => item.Name === `${STAGE}-${SERVICE}-websockets`);
        const deployed = api?.ApiId
          ? ((await apigatewayv2.send(new GetRoutesCommand({ ApiId: api.ApiId }))).Items ?? []).map((r) => r.RouteKey)
          : [];
        for (const route of websocketRoutes)
          if (!deployed.includes(route)) problems.push(`WebSocket route ${route} missing`);
        websocket.note = api?.ApiEndpoint ?? '';
      }
    }

    // Kafka triggers: self-managed Kafka event source mappings with the settings of serverless.yml.
    const kafka: Verification['kafka'] = [];
    for (const fn of functions) {
      const events = fn.events.flatMap((event) => (event.kafka ? [event.kafka as KafkaEvent] : []));
      if (!events.length) continue;
      const mappings: EventSourceMappingConfiguration[] =
        (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: `${SERVICE}-${STAGE}-${fn.name}` })))
          .EventSourceMappings ?? [];
      const logicalId = templateFunctionId(`${SERVICE}-${STAGE}-${fn.name}`);
      const compiled = resources.filter(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
      );
      for (const event of events) {
        const mapping = mappings.find((m) => m.Topics?.includes(event.topic));
        if (!mapping?.UUID) {
          problems.push(`${fn.name}: Kafka trigger on ${event.topic} missing`);
          continue;
        }
        // The API's key is KAFKA_BOOTSTRAP_SERVERS; LocalStack keeps the one of the CloudFormation resource.
        const endpoints = (mapping.SelfManagedEventSource?.Endpoints ?? {}) as Record<string, string[] | undefined>;
        const servers = endpoints.KAFKA_BOOTSTRAP_SERVERS ?? endpoints.KafkaBootstrapServers ?? [];
        const expectedServers = (
          compiled.find((r) => (r.Properties.Topics as string[]).includes(event.topic))?.Properties
            .SelfManagedEventSource as { Endpoints: { KafkaBootstrapServers: string[] } } | undefined
        )?.Endpoints.KafkaBootstrapServers;
        if (JSON.stringify(servers) !== JSON.stringify(expectedServers))
          problems.push(
            `${fn.name}: Kafka bootstrap servers ${servers.join(',')}, expected ${expectedServers?.join(',')}`,
          );
        // Group and starting position as compiled: stage `local` has its own groups (serverless-plugin.mjs).
        const compiledMapping = compiled.find((r) => (r.Properties.Topics as string[]).includes(event.topic))
          ?.Properties as
          { SelfManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string }; StartingPosition?: string } | undefined;
        const expectedGroup = compiledMapping?.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId;
        const group = mapping.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId;
        if (expectedGroup && group !== expectedGroup)
          problems.push(`${fn.name}: Kafka consumer group ${group}, expected ${expectedGroup}`);
        if (event.consumerGroupId && group === event.consumerGroupId)
          problems.push(`${fn.name}: Kafka consumer group ${group} is the event-source bridge's`);
        if (event.batchSize !== undefined && mapping.BatchSize !== event.batchSize)
          problems.push(`${fn.name}: Kafka batch size ${mapping.BatchSize}, expected ${event.batchSize}`);
        const expectedPosition = compiledMapping?.StartingPosition ?? event.startingPosition;
        if (expectedPosition && mapping.StartingPosition !== expectedPosition)
          problems.push(
            `${fn.name}: Kafka starting position ${mapping.StartingPosition}, expected ${expectedPosition}`,
          );
        // Disabled is a state of a whole mapping too: the stage's triggers are on only while something drives the
        // stage (infra/deploy/kafka.ts).
        if (!['Enabled', 'Enabling', 'Creating', 'Disabled', 'Disabling'].includes(mapping.State ?? ''))
          problems.push(`${fn.name}: Kafka trigger on ${event.topic} is ${mapping.State}`);
        kafka.push({
          function: fn.name,
          topic: event.topic,
          uuid: mapping.UUID,
          state: mapping.State ?? '',
          bootstrapServers: servers,
          consumerGroup: group ?? '',
        });
      }
    }

    return {
      problems,
      stackStatus,
      functions: rows,
      layer: { arn: layerArn, codeSize: layerCodeSize },
      role: roleArn,
      bucket: DEPLOY_BUCKET,
      restApi: {
        id: restApi?.id ?? '',
        url: restApi?.id ? `${ENDPOINT}/restapis/${restApi.id}/${STAGE}/_user_request_` : '',
        routes,
      },
      websocket,
      kafka,
    };
  } finally {
    for (const client of [lambda, apigateway, apigatewayv2, cloudformation, iam, s3]) client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// summary

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export function printSummary(result: DeployResult): void {
  const { verification: v, manifest, seconds } = result;
  const table = (header: string[], rows: string[][]): void => {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]): string =>
      `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`;
    console.log(line(header));
    console.log(line(widths.map((width) => '-'.repeat(width))));
    for (const row of rows) console.log(line(row));
  };
  console.log(
    `\nDeployed ${STACK_NAME} to LocalStack at ${ENDPOINT} (${v.stackStatus}${result.skipped ? ', unchanged' : ''})`,
  );
  console.log(
    `  package ${seconds.package.toFixed(1)} s, deploy ${seconds.deploy.toFixed(1)} s, verify ${seconds.verify.toFixed(1)} s\n`,
  );
  table(
    ['function', 'handler', 'runtime', 'state', 'env', 'bundle', 'zip', 'triggers'],
    v.functions.map((fn) => [
      fn.name,
      fn.handler,
      fn.runtime,
      fn.state,
      String(fn.environmentVariables),
      kb(fn.bundleBytes),
      kb(fn.zipBytes),
      fn.triggers.join(', '),
    ]),
  );
  const { layer } = manifest;
  console.log(
    `\n  layer     ${v.layer.arn}\n            ${kb(layer.zipBytes)} zipped, ${kb(layer.unzippedBytes)} unzipped: ` +
      `${layer.packages.length} packages (${layer.packages.join(', ')})`,
  );
  console.log(`  role      ${v.role}`);
  console.log(`  bucket    ${v.bucket}`);
  console.log(`  HTTP API  ${v.restApi.routes.length} routes at ${v.restApi.url}/…`);
  console.log(
    `  WebSocket ${v.websocket.routes.length} routes (${v.websocket.routes.join(', ')}): ${v.websocket.supported ? `deployed ${v.websocket.note}` : v.websocket.note}`,
  );
  console.log(`  Kafka     ${v.kafka.map((k) => `${k.topic} → ${k.function} (${k.state})`).join(', ')}`);
  if (v.problems.length) {
    console.log(`\n${v.problems.length} problem(s):`);
    for (const problem of v.problems) console.log(`  - ${problem}`);
  } else
    console.log(
      `\nVerified: ${v.functions.length} functions, ${v.restApi.routes.length} routes, ${v.kafka.length} Kafka triggers.`,
    );
}
