// v4's query batching (`--enable-query-batching`): a POST body that is a JSON array of
// operations is answered by an array of results, in order, with status 200. As in v4, an item
// whose operation failed before it ran (bad token, invalid document) carries its HTTP status as
// `statusCode`. Each operation passes every per-operation limit; the batch as a whole is bounded
// too, so batching cannot multiply what one request may ask for.
import type { Limits } from '../execute/limits';

export const BATCHING_OFF = 'Batching queries as an array is currently unsupported. Please provide a single query object.';
export const INVALID_BATCH_ITEM = 'Invalid query structure.';

/**
 * Why a batch is refused as a whole, or undefined: its documents together are over
 * `--max-document-length`, or it holds more operations than `--max-root-fields` (each operation
 * has at least one root field, so a batch may not hold more than one operation could).
 */
export function batchProblem(batch: unknown[], limits: Limits): string | undefined {
  const max = limits.maxRootFields;
  if (max && batch.length > max) {
    return `The batch holds ${batch.length} operations, over the limit of ${max} (each counts toward --max-root-fields); send fewer per request or raise it with --max-root-fields (now ${max}).`;
  }
  const total = batch.reduce<number>((n, op) => n + (op && typeof (op as { query?: unknown }).query === 'string' ? (op as { query: string }).query.length : 0), 0);
  const maxLength = limits.maxDocumentLength;
  if (maxLength && total > maxLength) {
    return `The batch's documents are ${total} characters long together, over the limit of ${maxLength}; send fewer per request or raise it with --max-document-length (now ${maxLength}).`;
  }
  return undefined;
}

/** One result of a batch: the response object, with `statusCode` when it is not 200 (as v4). */
export function batchItem(body: string, status: number): string {
  if (status === 200) return body;
  return `${body.slice(0, body.lastIndexOf('}'))},"statusCode":${status}}`;
}
