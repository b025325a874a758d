// `POST <graphqlRoute>/dev-token` (watch mode with a JWT secret): signs a token for the role and
// claims the GraphiQL identity panel asks for, so a developer can try the API as a user.
//
// Whoever can mint here can become anyone the database connection can become, so the route only
// answers a browser tab of this very server on this machine: a loopback peer, a `Host` that names
// this server on loopback (no DNS rebinding), an `Origin` (when sent) of this server, and never
// with CORS headers. Tokens are short-lived and marked, so a server not in watch mode refuses
// them (see auth/verify.ts), and only roles the server's connection may become are signed.
import net from 'node:net';
import type { Request, Response, NextFunction, Router } from 'express';
import type { Pool } from 'pg';
import { DEV_TOKEN_CLAIM, getPath } from '../auth/verify';
import type { Options } from '../options';
import { loadExpress } from './express';

/** How long a dev token is valid, in seconds. */
export const DEV_TOKEN_LIFETIME = 3600;

export interface DevTokenOptions {
  graphqlRoute: string;
  /** Signs the claims with the server's JWT secret. */
  sign: (claims: Record<string, unknown>) => string;
  bodySizeLimit: string;
  /** Path to the role claim (`--jwt-role`). */
  jwtRole: string[];
  /** The server's pool: its role decides which roles may be signed. */
  pool: Pool;
  /** The API's schemas: the roles offered are those that may use one of them. */
  schemas: string[];
}

export function devTokenPath(graphqlRoute: string): string {
  return `${graphqlRoute.replace(/\/$/, '')}/dev-token`;
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}

function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^::ffff:/i, '');
  if (net.isIPv4(a)) return a.startsWith('127.');
  return a === '::1';
}

/**
 * Whether the dev-token route is served, and if not, why (said at start-up). Off on a server
 * bound to a non-loopback address unless `dangerouslyExposeDevTokens` is set: even then only
 * loopback clients of the same origin get tokens.
 */
export function devTokenState(options: Pick<Options, 'watch' | 'jwtSecret' | 'host' | 'dangerouslyExposeDevTokens'>): { on: boolean; note?: string } {
  if (!options.watch || !options.jwtSecret) return { on: false };
  if (isLoopbackHost(options.host) || options.dangerouslyExposeDevTokens) return { on: true };
  return {
    on: false,
    note: `the dev-token route (GraphiQL's identity panel) is off because the server listens on ${options.host}, ` +
      'not only on this machine; use -n localhost, or pass --dangerously-expose-dev-tokens ' +
      '(tokens are then still signed only for loopback clients of this server)',
  };
}

/** Why this request may not mint a token, or undefined when it may. */
export function refusal(req: Request): string | undefined {
  const peer = req.socket.remoteAddress ?? '';
  if (!isLoopbackAddress(peer)) return `dev tokens are only signed for clients on this machine (not ${peer})`;
  const port = req.socket.localPort;
  const host = (req.headers.host ?? '').toLowerCase();
  if (!ownHost(host, port)) {
    return `the Host header '${host}' does not name this server on localhost:${port}; open GraphiQL at http://localhost:${port}`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !ownOrigin(origin, port)) {
    return `dev tokens are only signed for this server's own pages, not for origin '${origin}'`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `dev tokens are only signed for this server's own pages (Sec-Fetch-Site: ${String(site)})`;
  }
  return undefined;
}

function ownHost(host: string, port: number | undefined): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!m || !isLoopbackHost(m[1])) return false;
  const given = m[2] === undefined ? 80 : Number(m[2]);
  return given === port;
}

function ownOrigin(origin: string, port: number | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin `null`
  }
  return url.protocol === 'http:' && url.origin === origin.toLowerCase() && ownHost(url.host, port);
}

function deny(res: Response, status: number, message: string): void {
  res.status(status).json({ error: { message } });
}

/** Sets the role at the `--jwt-role` path, creating objects on the way. */
function setPath(claims: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = claims;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at = at[key] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as object) } : {};
  }
  at[path[path.length - 1]] = value;
}

export function devTokenRouter(options: DevTokenOptions): Router {
  const express = loadExpress();
  const router = express.Router();
  const route = devTokenPath(options.graphqlRoute);
  const guard = (req: Request, res: Response, next: NextFunction) => {
    // Whatever middleware ran before (e.g. generous CORS), no other origin may read a token.
    for (const name of res.getHeaderNames()) if (name.startsWith('access-control-')) res.removeHeader(name);
    const why = refusal(req);
    if (why) return deny(res, 403, why);
    if (req.method === 'POST' && !req.is('application/json')) return deny(res, 415, 'send the request as Content-Type: application/json');
    next();
  };
  router.all(route, guard, (req, res, next) => (req.method === 'POST' || req.method === 'GET'
    ? next() : (res.set('Allow', 'GET, POST'), deny(res, 405, 'use POST to sign a token, GET to list the roles'))));
  // The roles the identity panel offers: those a token may be signed for (the connection can
  // become them) that may use one of the API's schemas; the connection's own login role last.
  router.get(route, async (_req: Request, res: Response) => {
    try {
      const { rows } = await options.pool.query<{ name: string }>(
        `select r.rolname as name from pg_catalog.pg_roles r
          where pg_catalog.pg_has_role(current_user, r.oid, 'member') and r.rolname !~ '^pg_'
            and exists (select 1 from pg_catalog.pg_namespace n
                         where n.nspname = any($1::text[]) and pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE'))
          order by r.rolcanlogin, r.rolname limit 50`, [options.schemas]);
      res.set('Cache-Control', 'no-store').json({ roles: rows.map((r) => r.name) });
    } catch (e) {
      deny(res, 503, `could not list the roles from the database: ${(e as Error).message}`);
    }
  });
  router.post(route, express.json({ limit: options.bodySizeLimit }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { role?: unknown; claims?: unknown };
    const claims = body.claims ?? {};
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return deny(res, 400, 'claims must be a JSON object');
    if (body.role !== undefined && typeof body.role !== 'string') return deny(res, 400, 'role must be a string');
    const attributes: Record<string, unknown> = { ...(claims as Record<string, unknown>) };
    if (body.role) setPath(attributes, options.jwtRole, body.role);
    const now = Math.floor(Date.now() / 1000);
    const latest = now + DEV_TOKEN_LIFETIME;
    if (attributes.exp !== undefined && (typeof attributes.exp !== 'number' || attributes.exp > latest)) {
      return deny(res, 400, `exp must be a number of seconds no later than one hour from now (${latest}): dev tokens are short-lived`);
    }
    if (attributes.nbf !== undefined && typeof attributes.nbf !== 'number') return deny(res, 400, 'nbf must be a number of seconds');
    attributes.exp ??= latest;
    attributes.iat = now;
    attributes[DEV_TOKEN_CLAIM] = true;
    const role = getPath(attributes, options.jwtRole);
    if (role !== undefined) {
      if (typeof role !== 'string') return deny(res, 400, `the role claim (${options.jwtRole.join('.')}) must be a string`);
      try {
        const { rows } = await options.pool.query<{ member: boolean; me: string }>(
          'select pg_has_role(current_user, r.oid, \'member\') as member, current_user as me from pg_roles r where r.rolname = $1', [role]);
        if (rows.length === 0) return deny(res, 403, `role '${role}' does not exist`);
        if (!rows[0].member) {
          return deny(res, 403, `the server connects as '${rows[0].me}', which cannot become role '${role}', so no token is signed for it`);
        }
      } catch (e) {
        return deny(res, 503, `could not check role '${role}' with the database: ${(e as Error).message}`);
      }
    }
    try {
      res.json({ token: options.sign(attributes), expiresAt: attributes.exp });
    } catch (err) {
      deny(res, 400, (err as Error).message);
    }
  });
  return router;
}
