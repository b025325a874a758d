// The live schema: one immutable snapshot (model, GraphQL schema, document cache) swapped
// atomically. A request holds the snapshot it started with until it finishes.
import { validateSchema, type GraphQLSchema } from 'graphql';
import type { Pool } from 'pg';
import { introspect } from '../introspection/introspect';
import type { Model } from '../introspection/model';
import { buildGraphQLSchema, type SchemaOptions } from '../schema/build';

export interface Snapshot {
  readonly generation: number;
  readonly schema: GraphQLSchema;
  readonly model: Model;
  readonly options: SchemaOptions;
  /** Parsed and validated documents of this schema generation (bounded, LRU). */
  readonly documents: Map<string, any>;
}

/** Builds and validates (once, here) the schema; an invalid one throws and is never served. */
export function makeSnapshot(model: Model, options: SchemaOptions, generation: number): Snapshot {
  const schema = buildGraphQLSchema(model, options);
  const errors = validateSchema(schema);
  if (errors.length) throw new Error(`The GraphQL schema is invalid: ${errors.map((e) => e.message).join('; ')}`);
  return { generation, model, options, schema, documents: new Map() };
}

export async function loadSnapshot(pool: Pool, options: SchemaOptions, generation: number): Promise<Snapshot> {
  return makeSnapshot(await introspect(pool, options.schemas), options, generation);
}

export interface LiveSchema {
  current(): Snapshot;
  swap(next: Snapshot): void;
  onSwap(listener: (next: Snapshot, prev: Snapshot) => void): () => void;
}

export function createLiveSchema(initial: Snapshot): LiveSchema {
  let current = initial;
  const listeners = new Set<(next: Snapshot, prev: Snapshot) => void>();
  return {
    current: () => current,
    swap(next) {
      const prev = current;
      current = next;
      for (const l of listeners) l(next, prev);
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
