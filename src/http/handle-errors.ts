// v4's library option `handleErrors(errors, req, res)`: the integrator sees each response's
// errors as GraphQLErrors and returns the errors to send. Our errors are formatted as v4 formats
// them before this point, so the handler gets GraphQLErrors rebuilt from them, each with the
// error behind it (e.g. the database's) as `originalError` when the caller kept those; any it
// returns unchanged are sent exactly as they would have been without the hook.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';

export type HandleErrors = (errors: readonly GraphQLError[], req: IncomingMessage, res: ServerResponse) => readonly unknown[];

type Formatted = Record<string, unknown>;

function rebuilt(f: Formatted, original: unknown): GraphQLError {
  const e = new GraphQLError(String(f.message ?? ''), {
    path: Array.isArray(f.path) ? f.path as Array<string | number> : undefined,
    extensions: f.extensions && typeof f.extensions === 'object' ? f.extensions as Record<string, unknown> : undefined,
    originalError: original instanceof Error ? original : undefined,
  });
  // graphql-js computes locations from a source; ours are already known
  if (Array.isArray(f.locations)) Object.defineProperty(e, 'locations', { value: f.locations, enumerable: true });
  return e;
}

/** The errors to send after the hook; throws (a 500 for the caller) when it does not return an array. */
export function applyHandleErrors(
  handle: HandleErrors, errors: readonly unknown[], req: IncomingMessage, res: ServerResponse, originals?: readonly unknown[],
): unknown[] {
  const formatted = errors.map((e) => (e instanceof GraphQLError ? e.toJSON() as unknown as Formatted : e as Formatted));
  // The originals line up with the errors only when every error was formatted from one.
  const behind = originals?.length === errors.length ? originals : [];
  const given = formatted.map((f, i) => rebuilt(f, behind[i]));
  const back = handle(given, req, res);
  if (!Array.isArray(back)) throw new Error('handleErrors must return an array of errors');
  return back.map((e) => {
    const i = given.indexOf(e as GraphQLError);
    if (i >= 0) return formatted[i];
    return e instanceof GraphQLError ? e.toJSON() : e;
  });
}

/** A response body text with its `errors` passed through the hook (the data untouched). */
export function handleErrorsInBody(
  handle: HandleErrors, body: string, req: IncomingMessage, res: ServerResponse, originals?: readonly unknown[],
): string {
  const parsed = JSON.parse(body) as { errors?: unknown[] };
  if (!Array.isArray(parsed.errors)) return body;
  return JSON.stringify({ ...parsed, errors: applyHandleErrors(handle, parsed.errors, req, res, originals) });
}
