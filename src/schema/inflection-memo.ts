// One build asks for each table's names dozens of times (fields, payloads, plans, descriptions).
// Each ask built a fresh string and hashed it in the casing memo; for 300 tables that showed up
// in every reload's profile. Here the answers are remembered per table / column object and per
// type name, for the life of one build's context (the model is not changed while it is built).
import type { Inflection } from './inflection';

/** Methods whose only argument is a table or a column: remembered per object. */
const BY_OBJECT = [
  'nodeAlias', 'tableType', 'tableFieldName', 'tableNode', 'allRows', 'allRowsSimple', 'column',
  'updateNode', 'deleteNode', 'deletedNodeId', 'updateNodeInputType', 'deleteNodeInputType',
  'edgeField', 'createField', 'createInputType', 'createPayloadType', 'updatePayloadType',
  'deletePayloadType',
] as const;

/** Methods whose only argument is a GraphQL name: remembered per name. */
const BY_NAME = [
  'conditionType', 'inputType', 'rangeBoundType', 'rangeType', 'patchType', 'baseInputType',
  'patchField', 'orderByType', 'edge', 'connection',
] as const;

/** `fn` asked once per argument; `seen` is a WeakMap for objects, a Map for names. */
function remember<K extends object | string>(fn: (x: K) => string, seen: { get(k: K): string | undefined; set(k: K, v: string): unknown }) {
  return (x: K): string => {
    let name = seen.get(x);
    if (name === undefined) seen.set(x, (name = fn(x)));
    return name;
  };
}

export function memoizedInflection(inflect: Inflection): Inflection {
  const out: Record<string, unknown> = { ...inflect };
  for (const key of BY_OBJECT) out[key] = remember(inflect[key] as (x: object) => string, new WeakMap<object, string>());
  for (const key of BY_NAME) out[key] = remember(inflect[key] as (x: string) => string, new Map<string, string>());
  return out as Inflection;
}
