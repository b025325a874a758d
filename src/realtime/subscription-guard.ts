// Subscriptions outlive schema reloads: each keeps running as long as its document is still
// valid against the new schema. One that asks for fields that are gone is ended with one error
// result saying so (then `complete`), rather than failing on every later event.
import { GraphQLError, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { LiveSchema } from '../schema/snapshot';

export interface SubscriptionGuard {
  /** The iterator, ended with an error result if a later schema no longer validates `document`. */
  wrap(document: DocumentNode, inner: AsyncIterableIterator<ExecutionResult>): AsyncIterableIterator<ExecutionResult>;
  /** Subscriptions currently guarded. */
  readonly size: number;
  close(): void;
}

interface Entry {
  document: DocumentNode;
  fail(message: string): void;
}

export const SCHEMA_CHANGED = "The schema changed and this subscription's fields no longer exist:";

export function createSubscriptionGuard(live: LiveSchema): SubscriptionGuard {
  const entries = new Set<Entry>();

  const check = (schema: GraphQLSchema) => {
    // Many subscribers usually share a few documents: validate each text once per reload.
    const verdicts = new Map<string, readonly GraphQLError[]>();
    for (const e of [...entries]) {
      const text = e.document.loc?.source.body;
      let errors = text !== undefined ? verdicts.get(text) : undefined;
      if (!errors) {
        errors = validate(schema, e.document);
        if (text !== undefined) verdicts.set(text, errors);
      }
      if (errors.length) e.fail(`${SCHEMA_CHANGED} ${errors.map((x) => x.message).join(' ')}`);
    }
  };
  const stop = live.onSwap((next) => check(next.schema));

  function wrap(document: DocumentNode, inner: AsyncIterableIterator<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
    let failure: ExecutionResult | null = null;
    let finished = false;
    let signal!: () => void;
    const failed = new Promise<null>((resolve) => { signal = () => resolve(null); });
    const entry: Entry = {
      document,
      fail(message) {
        if (failure || finished) return;
        failure = { errors: [new GraphQLError(message)] };
        entries.delete(entry);
        // Stop the source now, so it does no more work on a schema it no longer fits.
        void Promise.resolve(inner.return?.()).catch(() => undefined);
        signal();
      },
    };
    entries.add(entry);
    const end = () => {
      finished = true;
      entries.delete(entry);
    };
    let pending: Promise<IteratorResult<ExecutionResult>> | null = null;
    const it: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        if (!finished && !failure) {
          pending ??= inner.next();
          const r = await Promise.race([pending, failed]);
          if (r) {
            pending = null;
            if (r.done) end();
            return r;
          }
        }
        if (failure && !finished) {
          end();
          return { value: failure, done: false };
        }
        end();
        return { value: undefined, done: true };
      },
      async return() {
        end();
        await inner.return?.();
        return { value: undefined, done: true };
      },
      async throw(e: unknown) {
        end();
        await inner.return?.();
        throw e;
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  return {
    wrap,
    get size() {
      return entries.size;
    },
    close() {
      stop();
      entries.clear();
    },
  };
}
