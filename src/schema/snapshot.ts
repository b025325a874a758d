// The live schema: one immutable snapshot (model, options, GraphQL schema) swapped atomically.
// A request holds the snapshot it started with until it finishes.
import { validateSchema, type GraphQLSchema } from 'graphql';
import type { Model } from '../introspection/model';
import { buildSchema, type BuiltSchema, type SchemaOptions } from './build';
import { inflectionFor } from './context';
import { validateNewTypes, type BuildMemo, type ReuseStats } from './reuse';

export interface Snapshot {
  readonly generation: number;
  /** What to tell the user about this schema: smart tag problems, what the build left out. */
  readonly warnings: readonly string[];
  readonly schema: GraphQLSchema;
  readonly model: Model;
  readonly options: SchemaOptions;
  /** What the next reload's build may reuse (see reuse.ts). */
  readonly memo?: BuildMemo;
  /** What this build took from the previous snapshot's; null for a full build. */
  readonly reuse?: ReuseStats | null;
  /** Types equal to the previous snapshot's of their name (reused), for describing the change. */
  readonly reusedTypes?: ReadonlySet<unknown> | null;
}

/**
 * Builds and validates (once, here) the schema; an invalid one throws and is never served.
 * With `previous` (a reload), what the change did not touch is reused from its build; if that
 * build fails in any way, a full build decides (and its error is the one reported). Without
 * `reloads` (no watch mode; by default a snapshot is made for a reload, which more follow)
 * nothing is kept for a next build (4 MiB on 300 tables).
 */
export function makeSnapshot(model: Model, options: SchemaOptions, generation: number, previous?: Snapshot, reloads = true): Snapshot {
  let built: BuiltSchema | undefined;
  if (previous?.memo) {
    try {
      built = buildSchema(model, options, previous.memo);
      if (built.reusedTypes && validateNewTypes(built.schema, built.reusedTypes).length) built = undefined;
    } catch {
      built = undefined;
    }
  }
  if (!built) {
    try {
      built = buildSchema(model, options);
    } catch (e) {
      throw new Error(withSources(model, options, (e as Error).message));
    }
  }
  const { schema, memo, reuse, reusedTypes } = built;
  const errors = validateSchema(schema);
  if (errors.length) {
    throw new Error(withSources(model, options, `The GraphQL schema is invalid: ${errors.map((e) => e.message).join('; ')}`));
  }
  const plan = schema.extensions.forumDev as { warnings?: string[] } | undefined;
  const warnings = [...(model.warnings ?? []).map((w) => `smart tags: ${w}`), ...(plan?.warnings ?? []).map((w) => `schema: ${w}`)];
  return { generation, model, options, schema, warnings, memo: reloads ? memo : undefined, reuse, reusedTypes };
}

/**
 * Two database objects inflected to one GraphQL type name: say which, so the user knows what to
 * rename (or tag with `@name`).
 */
function withSources(model: Model, options: SchemaOptions, message: string): string {
  const m = message.match(/multiple types named "([^"]+)"/);
  if (!m) return message;
  const inflect = inflectionFor(options);
  const namesOf = (c: Model['classes'][number]) => {
    const t = inflect.tableType(c);
    return [t, inflect.connection(t), inflect.edge(t), inflect.orderByType(t), inflect.conditionType(t),
      inflect.inputType(t), inflect.patchType(t), inflect.createInputType(c), inflect.createPayloadType(c),
      inflect.updatePayloadType(c), inflect.deletePayloadType(c), inflect.updateNodeInputType(c), inflect.deleteNodeInputType(c),
      ...(options.connectionFilter ? [`${t}Filter`] : [])];
  };
  const sources = [
    ...model.classes.filter((c) => namesOf(c).includes(m[1])).map((c) => `${c.namespaceName}.${c.name}`),
    ...model.types.filter((t) => (t.type === 'e' || t.type === 'd') && (inflect.enumType(t) === m[1] || inflect.domainType(t) === m[1]))
      .map((t) => `${t.namespaceName}.${t.name}`),
  ];
  return sources.length > 1
    ? `${message} It comes from ${sources.join(' and ')}; rename one, or give it another name with a \`@name\` smart comment.`
    : message;
}

export interface LiveSchema {
  current(): Snapshot;
  /** Serves `next` from now on; returns what the listeners threw (the swap stands). */
  swap(next: Snapshot): Error[];
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
      const errors: Error[] = [];
      for (const l of listeners) {
        try {
          l(next, prev);
        } catch (e) {
          errors.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return errors;
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
