// Statements reused across requests whose variables differ only in values the statement binds
// as they are: `postById(id: $id)` compiles once, not once per id. The first request's statement
// becomes a template, and later requests put their own values into its parameters.
//
// Which values are bound as they are is found by trying, never assumed: the operation is
// compiled a second time with every leaf of the variables (a string, number or boolean, at any
// depth) replaced by a probe value, and a leaf counts as bound only when the text stays the same
// and exactly the parameters that held its value now hold its probe. Anything else (a value
// written into the text, such as `first`; one decoded, such as a cursor or node id; one that
// decides a @skip) is part of the template's key, as every value is without templates.
import type { CompiledSQL } from '../sql/fragment';

const MAX_LEAVES = 32;
// At most 4 × 5 statements per document, as many as its plans keyed by values (documents.ts):
// the document cache's bound on memory stays what it was.
const MAX_SHAPES = 4;
const MAX_TEMPLATES = 5;

type Leaf = string | number | boolean;

interface Template {
  /** The first request's statement (with anything the compiler returned beside text and values). */
  statement: CompiledSQL;
  /** [leaf, parameter index]: the request's leaf value goes into that parameter. */
  slots: ReadonlyArray<readonly [number, number]>;
}

/** Variables of one structure (keys, nesting, nulls, leaf types) for one operation. */
interface Shape {
  /** Per leaf (in walk order): its value is part of the key. */
  keyed: readonly boolean[];
  templates: Map<string, Template>;
}

export type Templates = Map<string, Shape | 'values'>;

export function createTemplates(): Templates {
  return new Map();
}

/**
 * The statement for `variables`: a template's, or `compile(variables)` (which then becomes one).
 * `undefined` when these variables cannot be templated (values of other kinds, too many leaves,
 * or an operation whose templates disagree about which values are bound): the caller then keys
 * by every value. Whatever else `compile` returns beside text and values must not depend on the
 * bound values (it is the first request's).
 */
export function templateStatement<T extends CompiledSQL>(
  templates: Templates, operationKey: string, variables: Record<string, unknown>,
  compile: (variables: Record<string, unknown>) => T,
): T | undefined {
  const leaves: Leaf[] = [];
  const parts: string[] = [];
  if (!walk(variables, leaves, parts) || leaves.length > MAX_LEAVES) return undefined;
  const shapeKey = `${operationKey}\n${parts.join('')}`;
  const shape = templates.get(shapeKey);
  if (shape === 'values') return undefined;
  if (shape) {
    const hit = shape.templates.get(keyOf(leaves, shape.keyed));
    if (hit) {
      refresh(templates, shapeKey, shape);
      return fill(hit, leaves) as T;
    }
  }
  const statement = compile(variables);
  const learned = learn(statement, variables, leaves, shape?.keyed, compile);
  if (!learned) {
    // a leaf bound in one template is written into another's text: key this shape by values
    templates.set(shapeKey, 'values');
    return statement;
  }
  const entry = shape ?? { keyed: learned.keyed, templates: new Map<string, Template>() };
  if (entry.templates.size >= MAX_TEMPLATES) entry.templates.delete(entry.templates.keys().next().value as string);
  entry.templates.set(keyOf(leaves, entry.keyed), { statement, slots: learned.slots });
  refresh(templates, shapeKey, entry);
  return statement;
}

function refresh(templates: Templates, key: string, shape: Shape): void {
  templates.delete(key);
  templates.set(key, shape);
  if (templates.size > MAX_SHAPES) templates.delete(templates.keys().next().value as string);
}

/**
 * Collects the leaves in a fixed order and writes the structure without them into `parts`;
 * false for values that are neither JSON-like nor plain objects (left to the caller's keying).
 */
function walk(value: unknown, leaves: Leaf[], parts: string[]): boolean {
  if (value === null) {
    parts.push('null');
    return true;
  }
  switch (typeof value) {
    case 'string': case 'number': case 'boolean':
      leaves.push(value);
      parts.push(typeof value === 'string' ? 's' : typeof value === 'number' ? 'n' : 'b');
      return true;
    case 'undefined':
      parts.push('u');
      return true;
    case 'object': break;
    default: return false;
  }
  if (Array.isArray(value)) {
    parts.push('[');
    for (const item of value) {
      if (!walk(item, leaves, parts)) return false;
      parts.push(',');
    }
    parts.push(']');
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  parts.push('{');
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    parts.push(JSON.stringify(k), ':');
    if (!walk(v, leaves, parts)) return false;
    parts.push(',');
  }
  parts.push('}');
  return true;
}

/** `value` with its leaves replaced, in walk order, by `replace(index, leaf)`. */
function replaceLeaves(value: unknown, replace: (index: number, leaf: Leaf) => Leaf, counter = { n: 0 }): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'object') return replace(counter.n++, value as Leaf);
  if (Array.isArray(value)) return value.map((item) => replaceLeaves(item, replace, counter));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = replaceLeaves(v, replace, counter);
  return out;
}

function keyOf(leaves: readonly Leaf[], keyed: readonly boolean[]): string {
  let key = '';
  for (let i = 0; i < leaves.length; i++) if (keyed[i]) key += `${JSON.stringify(leaves[i])},`;
  return key;
}

function fill(t: Template, leaves: readonly Leaf[]): CompiledSQL {
  if (t.slots.length === 0) return t.statement;
  const values = t.statement.values.slice();
  for (const [leaf, index] of t.slots) values[index] = leaves[leaf];
  return { ...t.statement, values };
}

/** A value no request is likely to send, of the leaf's own kind, different for each leaf. */
function probe(leaf: Leaf, index: number): Leaf {
  if (typeof leaf === 'boolean') return !leaf;
  if (typeof leaf === 'number') {
    const p = (Number.isInteger(leaf) ? 1_000_003 : 1_000_003.5) + 7 * index;
    return p === leaf ? p + 1 : p;
  }
  const p = `\u0001forum-dev probe ${index}\u0001`;
  return p === leaf ? `${p}.` : p;
}

const same = (a: unknown, b: unknown) =>
  Object.is(a, b) || (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b));

/**
 * Where each probed leaf's value sits in `statement`, found by comparing it with `probed`: null
 * when the texts differ or a parameter changed other than from a probed leaf's value to its probe.
 */
function slotsOf(statement: CompiledSQL, probed: CompiledSQL, leaves: readonly Leaf[], probes: readonly Leaf[], which: readonly number[]): Array<[number, number]> | null {
  if (statement.text !== probed.text || statement.values.length !== probed.values.length) return null;
  const slots: Array<[number, number]> = [];
  for (let i = 0; i < statement.values.length; i++) {
    const a = statement.values[i];
    const b = probed.values[i];
    if (same(a, b)) continue;
    const leaf = which.find((k) => leaves[k] === a && probes[k] === b);
    if (leaf === undefined) return null;
    slots.push([leaf, i]);
  }
  return slots;
}

/**
 * Which leaves are keyed, and where the others go. With `known` (the shape's keyed leaves), only
 * the others are probed, and null is returned if one of them turns out to need keying too.
 */
function learn(
  statement: CompiledSQL, variables: Record<string, unknown>, leaves: readonly Leaf[], known: readonly boolean[] | undefined,
  compile: (variables: Record<string, unknown>) => CompiledSQL,
): { keyed: boolean[]; slots: Array<[number, number]> } | null {
  const keyed = leaves.map((_, i) => known?.[i] ?? false);
  const candidates = leaves.map((_, i) => i).filter((i) => !keyed[i]);
  if (candidates.length === 0) return { keyed, slots: [] };
  const probes = leaves.map((leaf, i) => probe(leaf, i));
  const tryWith = (which: readonly number[]) => {
    const set = new Set(which);
    try {
      const probed = compile(replaceLeaves(variables, (i, leaf) => (set.has(i) ? probes[i] : leaf)) as Record<string, unknown>);
      return slotsOf(statement, probed, leaves, probes, which);
    } catch {
      return null;
    }
  };
  const all = tryWith(candidates);
  if (all) return { keyed, slots: all };
  // Some leaf is not simply bound: find which, one at a time.
  const slots: Array<[number, number]> = [];
  for (const i of candidates) {
    const own = tryWith([i]);
    if (own) slots.push(...own);
    else if (known) return null;
    else keyed[i] = true;
  }
  return { keyed, slots };
}
