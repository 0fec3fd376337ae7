import { request } from './api.js';

const tokens = new Map<string, string>();

/** A bearer token for a user, from POST /auth/token (cached per test process). */
export async function tokenFor(username: string, password: string): Promise<string> {
  const cached = tokens.get(username);
  if (cached) return cached;
  const response = await request<{ access_token: string }>('POST', '/auth/token', { body: { username, password } });
  if (response.status !== 200)
    throw new Error(`token for ${username}: ${response.status} ${JSON.stringify(response.body)}`);
  tokens.set(username, response.body.access_token);
  return response.body.access_token;
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** The three development users' headers and ids (user id = the token's subject). */
export async function devUsers() {
  const entries = await Promise.all(
    (['a', 'b', 'c'] as const).map(async (letter) => {
      const token = await tokenFor(`user_${letter}`, `pass_${letter}`);
      const subject = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub as string;
      return [letter, { token, headers: bearer(token), id: subject }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<
    'a' | 'b' | 'c',
    { token: string; headers: Record<string, string>; id: string }
  >;
}
