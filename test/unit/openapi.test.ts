import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { loadFunctions } from '../../infra/functions.js';
import { ROOT } from '../../infra/stack/paths.js';

/** docs/openapi.yaml against serverless.yml: every HTTP route is described, and described completely. */

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  security?: Json[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
/** Operations that take no input at all (no parameter, body or token), so no client error exists for them. */
const NO_CLIENT_ERRORS = new Set(['getHealth', 'getJwks']);
const WEBHOOKS = [
  'verifyWhatsappWebhook',
  'receiveWhatsappWebhook',
  'verifyInstagramWebhook',
  'receiveInstagramWebhook',
];
/** Webhooks are called by the provider: no token, an X-Hub-Signature-256 (or the verify token) instead. */
const PUBLIC = new Set(['getHealth', 'registerUser', 'issueToken', 'getJwks', ...WEBHOOKS]);
/** Operations that never reach Cassandra (the health check reports it down in its own body). */
const NO_DATABASE = new Set(['getHealth', 'getJwks', 'verifyWhatsappWebhook', 'verifyInstagramWebhook']);
/** The webhook handshakes answer hub.challenge as text/plain, as Meta expects. */
const TEXT_ANSWERS = new Set(['verifyWhatsappWebhook', 'verifyInstagramWebhook']);

const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8')) as Json & {
  paths: Record<string, Record<string, Operation>>;
  security?: Json[];
};

/** `{id}` and `{userId}` alike: only the shape of a path matters when matching routes. */
const normalize = (method: string, route: string) => `${method.toUpperCase()} ${route.replace(/\{[^}]+\}/g, '{}')}`;

/** Follows a local `$ref` ('#/components/...') to what it names. */
function resolve<T = Json>(node: unknown): T {
  let current = node as Json;
  for (let hops = 0; typeof current?.$ref === 'string'; hops++) {
    assert.ok(hops < 10, 'no $ref cycle');
    const ref = current.$ref as string;
    assert.ok(ref.startsWith('#/'), `${ref} is a local reference`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<Json>((at, part) => {
        const next = at?.[part] as Json | undefined;
        assert.ok(next !== undefined, `${ref} resolves`);
        return next;
      }, spec);
  }
  return current as T;
}

const operations = Object.entries(spec.paths).flatMap(([route, item]) =>
  METHODS.filter((method) => item[method]).map((method) => ({ method, route, op: item[method]! })),
);

const httpRoutes = loadFunctions().flatMap((fn) =>
  fn.events
    .map((event) => event.http)
    .filter((http) => http !== undefined)
    .map((http) => {
      if (typeof http === 'string') {
        const [method, route] = http.split(/\s+/);
        return normalize(method!, route!);
      }
      const { method, path: route } = http as { method: string; path: string };
      return normalize(method, route.startsWith('/') ? route : `/${route}`);
    }),
);

/** Every schema a response or error schema is made of, through $ref and allOf. */
function schemaParts(schema: unknown): Json[] {
  const resolved = resolve(schema);
  const parts = [resolved];
  for (const sub of (resolved.allOf as unknown[] | undefined) ?? []) parts.push(...schemaParts(sub));
  if (typeof (schema as Json).$ref === 'string') parts.push(schema as Json);
  return parts;
}

const isErrorSchema = (schema: unknown) =>
  schemaParts(schema).some((part) => part.$ref === '#/components/schemas/Error');

describe('docs/openapi.yaml', () => {
  it('is OpenAPI 3.1 with a bearer (JWT) security scheme', () => {
    assert.match(String(spec.openapi), /^3\.1\.\d+$/);
    const scheme = resolve((spec.components as Json & { securitySchemes: Json }).securitySchemes.bearerAuth);
    assert.deepEqual([scheme.type, scheme.scheme, scheme.bearerFormat], ['http', 'bearer', 'JWT']);
  });

  it('describes exactly the HTTP routes of serverless.yml', () => {
    const described = operations.map(({ method, route }) => normalize(method, route));
    assert.equal(new Set(described).size, described.length, 'no operation is described twice');
    assert.ok(httpRoutes.length >= 14, `serverless.yml declares the HTTP routes (${httpRoutes.length})`);
    assert.deepEqual([...described].sort(), [...new Set(httpRoutes)].sort());
  });

  it('gives every operation a unique operationId, a 2xx and a 4xx response', () => {
    const ids = operations.map(({ op }) => op.operationId);
    for (const { method, route, op } of operations) {
      const label = `${method.toUpperCase()} ${route}`;
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${label} has an operationId`);
      const statuses = Object.keys(op.responses);
      assert.ok(
        statuses.some((status) => /^2\d\d$/.test(status)),
        `${label} has a 2xx response`,
      );
      if (NO_CLIENT_ERRORS.has(op.operationId!)) {
        assert.equal(op.requestBody, undefined, `${label} takes no body`);
        assert.ok(
          (op.parameters ?? []).every((p) => resolve(p).name === 'X-Correlation-Id'),
          `${label} takes no parameters`,
        );
        assert.deepEqual(op.security, [], `${label} is public`);
      } else {
        assert.ok(
          statuses.some((status) => /^4\d\d$/.test(status)),
          `${label} has a 4xx response`,
        );
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('requires the bearer token everywhere but on the public operations, and documents its 401', () => {
    for (const { method, route, op } of operations) {
      const label = `${method.toUpperCase()} ${route}`;
      const security = op.security ?? spec.security ?? [];
      if (PUBLIC.has(op.operationId!)) {
        assert.deepEqual(op.security, [], `${label} is public`);
      } else {
        assert.deepEqual(security, [{ bearerAuth: [] }], `${label} needs a bearer token`);
        const unauthorized = resolve<{ headers?: Json }>(op.responses['401']);
        assert.ok(unauthorized?.headers?.['WWW-Authenticate'], `${label} documents its 401 with WWW-Authenticate`);
      }
    }
  });

  it('declares every path parameter, and describes error bodies with the one Error schema', () => {
    for (const { method, route, op } of operations) {
      const label = `${method.toUpperCase()} ${route}`;
      const parameters = (op.parameters ?? []).map((p) => resolve(p));
      const inPath = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      const placeholders = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      assert.deepEqual(inPath.sort(), placeholders.sort(), `${label} declares its path parameters`);
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = (resolve<{ content?: Record<string, { schema: unknown }> }>(response).content ?? {})[
          'application/json'
        ]?.schema;
        if (/^2/.test(status)) {
          if (status !== '204' && !TEXT_ANSWERS.has(op.operationId!))
            assert.ok(schema, `${label} ${status} has a JSON body`);
          continue;
        }
        if (op.operationId === 'getHealth') continue; // its 503 is the health report
        assert.ok(schema && isErrorSchema(schema), `${label} ${status} is an Error`);
      }
    }
  });

  it('documents the body limit, JSON-only bodies and closed request schemas', () => {
    for (const { method, route, op } of operations.filter(({ op }) => op.requestBody)) {
      const label = `${method.toUpperCase()} ${route}`;
      for (const status of ['400', '413', '415']) assert.ok(op.responses[status], `${label} documents ${status}`);
      const body = resolve<{ content: Record<string, { schema: unknown }> }>(op.requestBody);
      assert.deepEqual(Object.keys(body.content), ['application/json'], `${label} takes JSON only`);
      const schema = resolve(body.content['application/json']!.schema);
      assert.equal(schema.type, 'object');
      assert.equal(schema.additionalProperties, false, `${label} refuses unknown fields`);
    }
  });

  it('documents Retry-After on every 503 and database_unavailable, X-Correlation-Id on the common middlewares', () => {
    for (const { method, route, op } of operations) {
      const label = `${method.toUpperCase()} ${route}`;
      if (op.responses['503']) {
        assert.ok(
          resolve<{ headers?: Json }>(op.responses['503']).headers?.['Retry-After'],
          `${label} 503 Retry-After`,
        );
      }
      const parameters = (op.parameters ?? []).map((p) => resolve(p));
      assert.ok(
        parameters.some((p) => p.in === 'header' && p.name === 'X-Correlation-Id'),
        `${label} takes X-Correlation-Id`,
      );
      for (const [status, response] of Object.entries(op.responses)) {
        assert.ok(
          resolve<{ headers?: Json }>(response).headers?.['X-Correlation-Id'],
          `${label} ${status} echoes X-Correlation-Id`,
        );
      }
    }
    for (const { method, route, op } of operations.filter(({ op }) => !NO_DATABASE.has(op.operationId!))) {
      const unavailable = resolve<{ content?: Record<string, { schema: unknown }> }>(op.responses['503']);
      const codes = schemaParts(unavailable?.content?.['application/json']?.schema ?? {}).flatMap((part) => {
        const code = (part.properties as Record<string, Json> | undefined)?.code;
        return code ? ((code.enum as string[] | undefined) ?? [code.const as string]) : [];
      });
      assert.ok(codes.includes('database_unavailable'), `${method.toUpperCase()} ${route} 503 database_unavailable`);
    }
    const send = operations.find(({ op }) => op.operationId === 'sendMessage')!.op;
    assert.ok(
      send.parameters?.some((p) => resolve(p).name === 'Idempotency-Key'),
      'send takes Idempotency-Key',
    );
  });

  it('has no dangling $ref', () => {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (typeof node !== 'object' || node === null) return;
      if (typeof (node as Json).$ref === 'string') resolve(node);
      Object.values(node).forEach(visit);
    };
    visit(spec);
  });
});
