import net from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The caller's address as API Gateway saw it: `requestContext.identity.sourceIp` (REST API, what serverless.yml's
 * `http` events are, and what serverless-offline fills with the socket's peer), or `requestContext.http.sourceIp`
 * (HTTP API). Never a header: X-Forwarded-For says whatever the client wrote in it.
 */
export function sourceIp(event: APIGatewayProxyEvent): string | undefined {
  const context = event.requestContext as
    (APIGatewayProxyEvent['requestContext'] & { http?: { sourceIp?: string } }) | undefined;
  const ip = context?.identity?.sourceIp ?? context?.http?.sourceIp;
  return ip && net.isIP(ip.split('%')[0]!) ? ip : undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (`::`, an IPv4 tail and a zone index allowed). */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => parseInt(group, 16));
}

const isIpv4Mapped = (groups: number[]) => groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
const ipv4Of = (groups: number[]) => [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');

/** One spelling per address: IPv4 (also when IPv4-mapped) dotted, IPv6 as its eight groups. undefined: not an IP. */
export function canonicalIp(ip: string): string | undefined {
  if (net.isIPv4(ip)) return ip;
  if (!net.isIPv6(ip.split('%')[0]!)) return undefined;
  const groups = ipv6Groups(ip);
  return isIpv4Mapped(groups) ? ipv4Of(groups) : groups.map((group) => group.toString(16)).join(':');
}

/**
 * What an address is throttled as: an IPv4 address itself, an IPv6 address its /64, because one subscriber (one
 * home, one server) holds a whole /64 and may pick any address inside it for each request.
 */
export function addressKey(ip: string): string | undefined {
  const canonical = canonicalIp(ip);
  if (canonical === undefined || !canonical.includes(':')) return canonical;
  return `${canonical.split(':').slice(0, 4).join(':')}::/64`;
}
