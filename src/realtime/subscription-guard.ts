// Subscriptions outlive schema reloads: each keeps running as long as its document is still
// valid against the new schema. One that asks for fields that are gone is ended with one error
// result saying so (then `complete`), rather than failing on every later event.
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { validateDocument } from '../execute/validation';
import type { LiveSchema } from '../schema/snapshot';
import type { Stream } from './stream';

type Failable = Pick<Stream<never>, 'fail' | 'ended'>;

export interface SubscriptionGuard {
  /** Ends `stream` with an error result if a later schema no longer validates `document`. */
  track<S extends Failable>(document: DocumentNode, stream: S): S;
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
        errors = validateDocument(schema, e.document);
        if (text !== undefined) verdicts.set(text, errors);
      }
      if (errors.length) e.fail(`${SCHEMA_CHANGED} ${errors.map((x) => x.message).join(' ')}`);
    }
  };
  const stop = live.onSwap((next) => check(next.schema));

  function track<S extends Failable>(document: DocumentNode, stream: S): S {
    const entry: Entry = {
      document,
      // Ending the stream stops its source now, so it does no more work on a schema it no longer fits.
      fail: (message) => stream.fail({ errors: [new GraphQLError(message)] }),
    };
    entries.add(entry);
    void stream.ended.then(() => entries.delete(entry));
    return stream;
  }

  return {
    track,
    get size() {
      return entries.size;
    },
    close() {
      stop();
      entries.clear();
    },
  };
}
