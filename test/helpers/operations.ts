import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadFunctions } from '../../infra/functions.js';
import { ROOT } from '../../infra/stack/paths.js';

/**
 * Every HTTP operation the API serves, for the security tests: the operations of docs/openapi.yaml, plus any HTTP
 * route of serverless.yml the spec does not describe yet (so a new endpoint is covered the moment it is served).
 */

type Json = Record<string, unknown>;

export interface ParameterInfo {
  name: string;
  required: boolean;
  schema: Json;
}

export interface ApiOperation {
  /** `METHOD /route`, with the route as a template (`/v1/messages/{id}`). */
  key: string;
  /** The spec's operationId, or `<function>:<method>` for a route only serverless.yml names. */
  operationId: string;
  method: string;
  route: string;
  /** Needs a bearer token (the spec's security, else every route but /webhooks/*). */
  protected: boolean;
  /** Signed by the provider (X-Hub-Signature-256) instead of a bearer token. */
  webhook: boolean;
  inSpec: boolean;
  pathParams: string[];
  query: ParameterInfo[];
  headers: ParameterInfo[];
  /** The JSON body schema, when the operation takes one (undefined: no body described). */
  body?: { required: boolean; schema: Json };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: Json;
  security?: Json[];
}

export const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8')) as Spec;

/** Follows local `$ref`s ('#/components/...'). */
export function resolveRef<T = Json>(node: unknown): T {
  let current = node as Json;
  for (let hops = 0; typeof current?.$ref === 'string' && hops < 10; hops++) {
    current = (current.$ref as string)
      .slice(2)
      .split('/')
      .reduce<Json>((at, part) => at[part] as Json, spec as unknown as Json);
  }
  return current as T;
}

const shape = (method: string, route: string) => `${method.toUpperCase()} ${route.replace(/\{[^}]+\}/g, '{}')}`;
const templateParams = (route: string) => [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);

function fromSpec(): ApiOperation[] {
  return Object.entries(spec.paths).flatMap(([route, item]) =>
    METHODS.filter((method) => item[method]).map((method): ApiOperation => {
      const op = item[method] as Json & { parameters?: Json[]; requestBody?: Json; security?: Json[] };
      const parameters = (op.parameters ?? []).map((parameter) =>
        resolveRef<Json & ParameterInfo & { in: string }>(parameter),
      );
      const byPlace = (place: string) =>
        parameters
          .filter((parameter) => parameter.in === place)
          .map((parameter) => ({
            name: parameter.name,
            required: Boolean(parameter.required),
            schema: resolveRef(parameter.schema ?? {}),
          }));
      const requestBody = op.requestBody
        ? resolveRef<{ required?: boolean; content?: Json }>(op.requestBody)
        : undefined;
      const jsonSchema = (requestBody?.content?.['application/json'] as { schema?: Json } | undefined)?.schema;
      const security = op.security ?? spec.security ?? [];
      return {
        key: `${method.toUpperCase()} ${route}`,
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        route,
        protected: security.length > 0,
        webhook: route.startsWith('/webhooks/'),
        inSpec: true,
        pathParams: templateParams(route),
        query: byPlace('query'),
        headers: byPlace('header'),
        body: jsonSchema ? { required: Boolean(requestBody?.required), schema: resolveRef(jsonSchema) } : undefined,
      };
    }),
  );
}

/** HTTP routes of serverless.yml that the spec does not describe (yet). */
function fromServerless(known: Set<string>): ApiOperation[] {
  return loadFunctions().flatMap((fn) =>
    fn.events.flatMap((event) => {
      const http = event.http as { method?: string; path?: string } | undefined;
      if (!http?.method || !http.path) return [];
      const method = http.method.toUpperCase();
      const route = http.path.startsWith('/') ? http.path : `/${http.path}`;
      if (known.has(shape(method, route))) return [];
      const webhook = route.startsWith('/webhooks/');
      return [
        {
          key: `${method} ${route}`,
          operationId: `${fn.name}:${method.toLowerCase()}`,
          method,
          route,
          protected: !webhook,
          webhook,
          inSpec: false,
          pathParams: templateParams(route),
          query: [],
          headers: [],
          body: ['POST', 'PUT', 'PATCH'].includes(method) ? { required: false, schema: {} } : undefined,
        } satisfies ApiOperation,
      ];
    }),
  );
}

let cached: ApiOperation[] | undefined;

export function apiOperations(): ApiOperation[] {
  if (!cached) {
    const described = fromSpec();
    cached = [...described, ...fromServerless(new Set(described.map((op) => shape(op.method, op.route))))];
  }
  return cached;
}

/** The route with its parameters filled in (each URL-encoded). */
export function fillRoute(route: string, values: Record<string, string>): string {
  return route.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} of ${route}`);
    return encodeURIComponent(value);
  });
}
