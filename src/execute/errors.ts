// Errors as the API answers them: v4's shape and wording, database details only when asked for,
// and the words a client needs when the database is away.
import { GraphQLError, type ASTNode } from 'graphql';
import { isConnectionLost, isNetworkError, isUnavailable } from '../db/unavailable';
import { asGraphQLError } from './documents';

/** What decides an error's fields (a subset of the run's options). */
export interface ErrorOptions {
  extendedErrors?: string[];
  showErrorStack?: boolean;
  /**
   * Filled with the error behind each error the response reports, in order, for v4's
   * `handleErrors` (whose handlers read e.g. the database's `originalError.code`).
   */
  originalErrors?: unknown[];
}

export const errorBody = (errors: unknown[]) => JSON.stringify({ errors });

function publicMessage(err: Record<string, any> | null | undefined): string {
  if (err instanceof RangeError) return asGraphQLError(err).message;
  // Network errors name hosts and ports; the client only needs to know the database is away.
  if (isNetworkError(err)) return 'The database cannot be reached right now; try again shortly.';
  if (isConnectionLost(err)) {
    return 'The database connection was lost (the server may be restarting); try again shortly.';
  }
  if (err?.code === '57014' && /statement timeout/.test(err.message ?? '')) {
    return 'The query ran longer than the statement timeout and was cancelled; ask for less, or raise the timeout with --statement-timeout.';
  }
  if (isUnavailable(err)) return `The database is not accepting requests right now (${err!.message}); try again shortly.`;
  return err?.message ?? String(err);
}

/**
 * An error as v4 sends it: `message`, `locations`, `path`. Only with `extendedErrors` (v4's
 * `--extended-errors hint,detail,errcode`) are the database error's fields added, both at the
 * top and under `extensions.exception`; `showErrorStack` adds the stack.
 */
export function formatError(e: unknown, path: Array<string | number> | undefined, opts: ErrorOptions, nodes?: readonly ASTNode[]): Record<string, unknown> {
  const err = e as Record<string, any>;
  opts.originalErrors?.push(e);
  const picked: Record<string, unknown> = {};
  const isPgError = typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code);
  if (isPgError) {
    for (const key of opts.extendedErrors ?? []) {
      const value = key === 'errcode' ? err.code : err[key];
      picked[key] = value != null ? String(value) : value;
    }
  }
  const out: Record<string, any> = Object.keys(picked).length ? { ...picked, extensions: { exception: picked } } : {};
  out.message = publicMessage(err);
  if (e instanceof GraphQLError && e.locations) out.locations = e.locations;
  else if (nodes?.length) {
    const located = new GraphQLError(out.message, { nodes });
    if (located.locations) out.locations = located.locations;
  }
  if (path) out.path = path;
  if (opts.showErrorStack && err?.stack) out.stack = String(err.stack);
  return out;
}

/** The response text: the data (JSON text) with any errors before it. */
export function withErrors(data: string, errors: unknown[]): string {
  return errors.length ? `{"errors":${JSON.stringify(errors)},"data":${data}}` : `{"data":${data}}`;
}
