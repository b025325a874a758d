// A failed first connection in words a user can act on: which server and database were tried and
// what to check. The bare errors name a syscall (`connect ECONNREFUSED 127.0.0.1:5432`,
// `getaddrinfo ENOTFOUND base`) and not where the connection string came from.

type PgConnectError = Error & { code?: string; address?: string; hostname?: string; port?: number };

/** The parts of a URL-form connection string (no password); {} for the keyword form. */
export function connectionTarget(connection: string | undefined): { host?: string; port?: string; database?: string; user?: string } {
  if (!connection) return {};
  try {
    const u = new URL(connection);
    return {
      host: u.hostname || undefined, port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined, user: decodeURIComponent(u.username) || undefined,
    };
  } catch {
    return {}; // keyword form (host=... dbname=...), or not a URL at all
  }
}

const FORM = 'postgres://user:password@host:5432/database';

/** `e` with a message naming the server tried and what to check; `e` itself when nothing fits. */
export function describeConnectionError(e: unknown, connection: string | undefined): unknown {
  const err = e as PgConnectError;
  if (!err || typeof err !== 'object') return e;
  const t = connectionTarget(connection);
  const host = err.address ?? err.hostname ?? t.host ?? 'localhost';
  const port = err.port ?? t.port ?? '5432';
  const where = `${host}:${port}`;
  const source = '(the connection string comes from -c/--connection or DATABASE_URL)';
  let message: string | undefined;
  switch (err.code) {
    case 'ECONNREFUSED':
      message = `cannot connect to PostgreSQL at ${where}: connection refused. Is PostgreSQL running there, and are the host and port right? ${source}`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `cannot connect to PostgreSQL: the host '${err.hostname ?? host}' was not found. Check the connection string, of the form ${FORM} ${source}`;
      break;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      message = `cannot connect to PostgreSQL at ${where}: no answer (${err.code}). Check the host, the port and any firewall in between ${source}`;
      break;
    case '28P01':
    case '28000':
      message = `PostgreSQL at ${where} refused ${t.user ? `user '${t.user}'` : 'the login'}: ${err.message}. Check the user and password in the connection string ${source}`;
      break;
    case '3D000':
      message = `PostgreSQL at ${where}: ${err.message}. Create it (createdb ${t.database ?? '<name>'}) or fix the database name in the connection string ${source}`;
      break;
    default:
      if (/^(Connection terminated|timeout expired)/i.test(err.message ?? '')) {
        message = `cannot connect to PostgreSQL at ${where}: ${err.message}. Is it a PostgreSQL server, and is it accepting connections? ${source}`;
      }
  }
  return message ? Object.assign(new Error(message), { code: err.code, cause: err }) : e;
}
