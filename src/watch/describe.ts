// Human-readable summary of what a schema reload changed in the GraphQL API, for the terminal.
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLUnionType,
  getNamedType,
  isListType,
  isNamedType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';

export type SchemaChange = { text: string; breaking: boolean };

function kindOf(t: GraphQLNamedType): string {
  if (t instanceof GraphQLScalarType) return 'scalar';
  if (t instanceof GraphQLObjectType) return 'type';
  if (t instanceof GraphQLInterfaceType) return 'interface';
  if (t instanceof GraphQLUnionType) return 'union';
  if (t instanceof GraphQLEnumType) return 'enum';
  return 'input';
}

// Same rules as graphql-js's findBreakingChanges: output positions may become stricter,
// input positions may become looser.
function safeOutputChange(oldT: GraphQLType, newT: GraphQLType): boolean {
  if (isListType(oldT)) {
    return (
      (isListType(newT) && safeOutputChange(oldT.ofType, newT.ofType)) ||
      (isNonNullType(newT) && safeOutputChange(oldT, newT.ofType))
    );
  }
  if (isNonNullType(oldT)) return isNonNullType(newT) && safeOutputChange(oldT.ofType, newT.ofType);
  if (isNamedType(newT)) return (oldT as GraphQLNamedType).name === newT.name;
  return isNonNullType(newT) && safeOutputChange(oldT, newT.ofType);
}

function safeInputChange(oldT: GraphQLType, newT: GraphQLType): boolean {
  if (isListType(oldT)) return isListType(newT) && safeInputChange(oldT.ofType, newT.ofType);
  if (isNonNullType(oldT)) {
    return (
      (isNonNullType(newT) && safeInputChange(oldT.ofType, newT.ofType)) ||
      (!isNonNullType(newT) && safeInputChange(oldT.ofType, newT))
    );
  }
  return isNamedType(newT) && (oldT as GraphQLNamedType).name === newT.name;
}

// `instanceof` rather than graphql's isX helpers: outside production those take a slow path
// whenever the answer is "no", and this runs for every field of two whole schemas.
/** Same wrappers around the same named type, without building the type strings. */
function sameType(a: GraphQLType, b: GraphQLType): boolean {
  if (a instanceof GraphQLNonNull) return b instanceof GraphQLNonNull && sameType(a.ofType, b.ofType);
  if (a instanceof GraphQLList) return b instanceof GraphQLList && sameType(a.ofType, b.ofType);
  return !(b instanceof GraphQLNonNull) && !(b instanceof GraphQLList) && a.name === b.name;
}

/**
 * Whether two defaults read the same to a client. Enum values (order by lists) are compared by
 * their GraphQL names: their internal values are plan objects made anew by every build.
 */
function sameDefault(a: unknown, b: unknown, oldType: GraphQLType, newType: GraphQLType): boolean {
  if (a === b) return true;
  const oe = getNamedType(oldType);
  const ne = getNamedType(newType);
  if (oe instanceof GraphQLEnumType && ne instanceof GraphQLEnumType) {
    const names = (v: unknown, t: GraphQLEnumType) => (Array.isArray(v) ? v.map((x) => t.serialize(x)) : t.serialize(v));
    try {
      return JSON.stringify(names(a, oe)) === JSON.stringify(names(b, ne));
    } catch {
      return false; // a default the enum cannot name: report it rather than fail the reload
    }
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

const isRequired = (a: GraphQLArgument | GraphQLInputField): boolean =>
  a.type instanceof GraphQLNonNull && a.defaultValue === undefined;

// Argument list changes of one field: undefined when none, else whether any is breaking.
function argsChange(oldArgs: readonly GraphQLArgument[], newArgs: readonly GraphQLArgument[]): boolean | undefined {
  let changed = oldArgs.length !== newArgs.length;
  let breaking = false;
  for (let i = 0; i < oldArgs.length; i++) {
    const o = oldArgs[i];
    // Arguments keep their order, so the same index is almost always the same argument.
    const n = newArgs[i]?.name === o.name ? newArgs[i] : newArgs.find((a) => a.name === o.name);
    if (!n) {
      changed = breaking = true;
      continue;
    }
    if (!sameType(o.type, n.type)) {
      changed = true;
      if (!safeInputChange(o.type, n.type)) breaking = true;
    }
    if (!sameDefault(o.defaultValue, n.defaultValue, o.type, n.type)) changed = true;
  }
  for (let i = 0; i < newArgs.length; i++) {
    const n = newArgs[i];
    if (oldArgs[i]?.name !== n.name && !oldArgs.some((a) => a.name === n.name)) {
      changed = true;
      if (isRequired(n)) breaking = true;
    }
  }
  return changed ? breaking : undefined;
}

function describeFields(
  name: string,
  oldFields: Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>,
  newFields: Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>,
  input: boolean,
  out: SchemaChange[],
): void {
  for (const fname in oldFields) {
    if (!newFields[fname]) out.push({ text: `- ${name}.${fname}`, breaking: true });
  }
  for (const fname in newFields) {
    const n = newFields[fname];
    const o = oldFields[fname];
    if (!o) {
      out.push({ text: `+ ${name}.${fname}`, breaking: input && isRequired(n as GraphQLInputField) });
      continue;
    }
    // A field a reload made from the previous build's config (src/schema/reuse.ts: same plan
    // object, the types it names unchanged) is unchanged.
    const plan = n.extensions?.forumDev;
    if (plan !== undefined && plan === o.extensions?.forumDev) continue;
    if (!sameType(o.type, n.type)) {
      const safe = input ? safeInputChange(o.type, n.type) : safeOutputChange(o.type, n.type);
      out.push({ text: `~ ${name}.${fname}: ${String(o.type)} -> ${String(n.type)}`, breaking: !safe });
    }
    if (!input) {
      const args = argsChange((o as GraphQLField<unknown, unknown>).args, (n as GraphQLField<unknown, unknown>).args);
      if (args !== undefined) out.push({ text: `~ ${name}.${fname}(args)`, breaking: args });
    } else if (!sameDefault((o as GraphQLInputField).defaultValue, (n as GraphQLInputField).defaultValue, o.type, n.type)) {
      out.push({ text: `~ ${name}.${fname} (default)`, breaking: false });
    }
    if ((o.deprecationReason ?? null) !== (n.deprecationReason ?? null)) {
      out.push({ text: `~ ${name}.${fname} (${n.deprecationReason == null ? 'no longer deprecated' : 'deprecated'})`, breaking: false });
    } else if ((o.description ?? '') !== (n.description ?? '')) {
      out.push({ text: `~ ${name}.${fname} (description)`, breaking: false });
    }
  }
}

function describeType(o: GraphQLNamedType, n: GraphQLNamedType, out: SchemaChange[]): void {
  const name = n.name;
  if (kindOf(o) !== kindOf(n)) {
    out.push({ text: `~ ${name}: ${kindOf(o)} -> ${kindOf(n)}`, breaking: true });
    return;
  }
  if ((o.description ?? '') !== (n.description ?? '')) out.push({ text: `~ type ${name} (description)`, breaking: false });
  const kind = kindOf(n);
  if ((o instanceof GraphQLObjectType || o instanceof GraphQLInterfaceType) && (n instanceof GraphQLObjectType || n instanceof GraphQLInterfaceType)) {
    const oi = o.getInterfaces().map((i) => i.name);
    const ni = n.getInterfaces().map((i) => i.name);
    if (oi.join() !== ni.join()) {
      const text = `~ ${name} implements ${oi.join(' & ') || '(none)'} -> ${ni.join(' & ') || '(none)'}`;
      out.push({ text, breaking: oi.some((i) => !ni.includes(i)) });
    }
    describeFields(name, o.getFields(), n.getFields(), false, out);
  } else if (kind === 'input') {
    // Same kind (checked above), so both are input objects.
    describeFields(name, (o as GraphQLInputObjectType).getFields(), (n as GraphQLInputObjectType).getFields(), true, out);
  } else if (o instanceof GraphQLEnumType && n instanceof GraphQLEnumType) {
    const ov = o.getValues().map((v) => v.name);
    const nv = n.getValues().map((v) => v.name);
    for (const v of ov) if (!nv.includes(v)) out.push({ text: `- ${name}.${v}`, breaking: true });
    for (const v of nv) if (!ov.includes(v)) out.push({ text: `+ ${name}.${v}`, breaking: false });
  } else if (o instanceof GraphQLUnionType && n instanceof GraphQLUnionType) {
    const om = o.getTypes().map((t) => t.name);
    const nm = n.getTypes().map((t) => t.name);
    if (om.join() !== nm.join()) {
      out.push({ text: `~ ${name} = ${om.join(' | ')} -> ${nm.join(' | ')}`, breaking: om.some((m) => !nm.includes(m)) });
    }
  }
}

const userTypes = (s: GraphQLSchema): Map<string, GraphQLNamedType> =>
  new Map(Object.entries(s.getTypeMap()).filter(([name]) => !name.startsWith('__')));

/**
 * Compares the schemas type by type into `out`, yielding after each type. A type a reload reused
 * from the previous build (src/schema/reuse.ts) is the same object, so it is passed over at once.
 */
function* diffSteps(oldSchema: GraphQLSchema, newSchema: GraphQLSchema, out: SchemaChange[]): Generator<void> {
  const before = userTypes(oldSchema);
  const after = userTypes(newSchema);
  for (const name of before.keys()) if (!after.has(name)) out.push({ text: `- type ${name}`, breaking: true });
  for (const [name, n] of after) {
    const o = before.get(name);
    if (o === n) continue;
    if (!o) out.push({ text: `+ type ${name}`, breaking: false });
    else describeType(o, n, out);
    yield;
  }
}

/** GraphQL-visible differences between two schemas, one line each; removals are breaking. */
export function diffSchemas(oldSchema: GraphQLSchema, newSchema: GraphQLSchema): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (const _ of diffSteps(oldSchema, newSchema, out));
  return out;
}

/**
 * diffSchemas in slices of a millisecond with the event loop in between: on a large schema
 * the comparison takes tens of milliseconds, and requests (already served by the new schema)
 * should not wait behind a summary meant for people. A request needs several turns of the loop
 * (read, query, answer), each of which may wait for one slice: hence short ones.
 */
export async function diffSchemasInSlices(oldSchema: GraphQLSchema, newSchema: GraphQLSchema): Promise<SchemaChange[]> {
  const out: SchemaChange[] = [];
  const steps = diffSteps(oldSchema, newSchema, out);
  for (let done = false; !done;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const until = performance.now() + 1;
    do done = !!steps.next().done; while (!done && performance.now() < until);
  }
  return out;
}

const maxItems = 4;

/**
 * One terminal line for a reload, e.g.
 * `schema updated in 23 ms: + Post.views (ALTER TABLE forum_example.post)`.
 * `ddl` holds the commands that caused it (`ALTER TABLE forum_example.post`), possibly repeated.
 */
export function formatReloadLine(changes: SchemaChange[], ddl: string[], ms: number): string {
  // New types come with many derived fields (connections, mutations): list the types first.
  const ordered = [
    ...changes.filter((c) => c.breaking),
    ...changes.filter((c) => !c.breaking && c.text.startsWith('+ type ')),
    ...changes.filter((c) => !c.breaking && !c.text.startsWith('+ type ')),
  ];
  const shown = ordered.slice(0, maxItems).map((c) => (c.breaking ? `${c.text} [breaking]` : c.text));
  if (ordered.length > maxItems) shown.push(`and ${ordered.length - maxItems} more`);
  const what = changes.length === 0 ? 'no GraphQL changes' : shown.join(', ');
  const verb = changes.length === 0 ? 'schema reloaded' : 'schema updated';
  const cmds = [...new Set(ddl.filter((d) => d.trim() !== ''))];
  const cause =
    cmds.length === 0 ? '' : ` (${cmds.slice(0, 2).join('; ')}${cmds.length > 2 ? `; +${cmds.length - 2} more` : ''})`;
  return `${verb} in ${Math.round(ms)} ms: ${what}${cause}`;
}

type LabelledEvent = { type: string; command?: string; identity?: string; objectType?: string; schema?: string | null };

// What a drop takes with a relation (its row types, indexes, constraints, column defaults):
// named only when no relation went in the same reload, else they repeat what the drop says.
const dependentKinds = new Set(['type', 'index', 'table constraint', 'sequence', 'toast table', 'rule', 'trigger']);
const relationKinds = new Set(['table', 'view', 'materialized view', 'foreign table']);

/** `forum_example.post.views` as `post.views`: the schema is said once, by the reload line's context. */
function withoutSchema(identity: string, schema: string | null | undefined): string {
  if (!schema) return identity;
  for (const prefix of [`${schema}.`, `"${schema.replace(/"/g, '""')}".`]) {
    if (identity.startsWith(prefix)) return identity.slice(prefix.length);
    const on = identity.indexOf(` on ${prefix}`);
    if (on >= 0) return identity.slice(0, on + 4) + identity.slice(on + 4 + prefix.length);
  }
  return identity;
}

/**
 * Labels for the events of one reload: `ALTER TABLE forum_example.post` for DDL, and what was
 * dropped in words (`column post.views dropped`) for drops, whose command tag alone (ALTER
 * TABLE) and identity (`for forum_example.post.views`, a column default) read as noise.
 */
export function ddlLabels(events: LabelledEvent[]): string[] {
  const relationDropped = events.some((e) => e.type === 'drop' && relationKinds.has(e.objectType ?? ''));
  const labels = events.map((e) => {
    if (e.type === 'reconnect') return 'reconnected';
    if (e.type === 'poll') return 'catalog changed';
    if (e.type === 'manual') return 'manual reload';
    if (e.type === 'tags') return 'smart tags file changed';
    if (e.type === 'drop' && e.objectType && e.identity) {
      if (e.objectType === 'default value' || (relationDropped && dependentKinds.has(e.objectType))) return '';
      const kind = e.objectType === 'table column' ? 'column' : e.objectType;
      return `${kind} ${withoutSchema(e.identity, e.schema)} dropped`;
    }
    return [e.command, e.identity].filter(Boolean).join(' ');
  });
  return [...new Set(labels.filter((l) => l !== ''))];
}
