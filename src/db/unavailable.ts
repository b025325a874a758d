// One answer to "is the database, not the request, the problem?": the connection is gone or was
// never made (network errors, SQLSTATE class 08), the server is shutting down or starting up
// (57P*), or it admits no more connections (53300, 55000). Used for the 503 answer, for not
// blaming the request's settings, and for the LISTEN connection's reconnects.
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const REFUSING = new Set(['53300', '55000']);
const LOST_MESSAGES = new Set([
  'Connection terminated unexpectedly', 'Connection terminated', 'Connection terminated due to connection timeout',
]);

/** A network error (names hosts and ports, which the client does not need). */
export function isNetworkError(e: unknown): boolean {
  return NETWORK.has((e as { code?: string } | null)?.code ?? '');
}

/** The connection went away under a request (terminated, or the server shut it down). */
export function isConnectionLost(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null | undefined;
  return !!err && (err.code === '57P01' || LOST_MESSAGES.has(String(err.message)));
}

export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null | undefined;
  if (!err) return false;
  const code = typeof err.code === 'string' ? err.code : '';
  return NETWORK.has(code) || REFUSING.has(code) || code.startsWith('08') || code.startsWith('57P')
    || LOST_MESSAGES.has(String(err.message));
}
