// The one async iterator behind every subscription: items pushed by notifications are resolved
// to results one at a time as the client reads them. It can keep only the newest item (live
// queries: intermediate results are worthless), end at the connection token's `exp`, and be
// failed from outside (a reload that removed fields it reads) with one last result.
import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StreamOptions<I> {
  /** Turns a pushed item into the result the client receives. */
  resolve(item: I): ExecutionResult | Promise<ExecutionResult>;
  /** Keep only the newest unread item. */
  latestOnly?: boolean;
  /** JWT `exp` (seconds): the stream ends then with a `jwt expired` error. */
  exp?: number;
  /** Called once when the stream ends, whichever way. */
  onClose(): void | Promise<void>;
}

export interface Stream<I> extends AsyncIterableIterator<ExecutionResult> {
  push(item: I): void;
  /** Ends the stream: the client gets `final` next, then completion. */
  fail(final: ExecutionResult): void;
  /** Settles once the stream has ended and cleaned up. */
  readonly ended: Promise<void>;
}

export function errorResult(message: string): ExecutionResult {
  return { errors: [new GraphQLError(message)] };
}

export function createStream<I>(opts: StreamOptions<I>): Stream<I> {
  const queue: I[] = [];
  let final: ExecutionResult | null = null;
  let done = false;
  let closing: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => { markEnded = resolve; });

  const close = (): Promise<void> => {
    if (closing) return closing;
    done = true;
    if (timer) clearTimeout(timer);
    wake?.();
    closing = Promise.resolve().then(() => opts.onClose()).finally(markEnded);
    return closing;
  };

  const stream: Stream<I> = {
    ended,
    push(item) {
      if (done || final) return;
      if (opts.latestOnly) queue.length = 0;
      queue.push(item);
      wake?.();
    },
    fail(result) {
      if (done || final) return;
      final = result;
      queue.length = 0;
      void close();
    },
    async next() {
      for (;;) {
        if (final) {
          const value = final;
          final = null;
          return { value, done: false };
        }
        if (done) return { value: undefined, done: true };
        if (queue.length) {
          let value: ExecutionResult;
          try {
            value = await opts.resolve(queue.shift()!);
          } catch (e) {
            value = errorResult((e as Error).message);
          }
          // Failed or ended while resolving: what it says now wins.
          if (final || done) continue;
          return { value, done: false };
        }
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = null;
      }
    },
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    async throw(e: unknown) {
      await close();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };

  const arm = (): void => {
    if (opts.exp === undefined || done) return;
    const ms = opts.exp * 1000 - Date.now();
    if (ms <= 0) stream.fail(errorResult('jwt expired'));
    else timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
  };
  arm();
  return stream;
}
