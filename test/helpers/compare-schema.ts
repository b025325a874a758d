// Structural comparison of two GraphQL schemas (v4's reference SDL vs ours), reporting every
// difference a client could notice. Descriptions are checked loosely: text that comes from
// database comments must match exactly; generated text only has to exist.
import {
  astFromValue,
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { Client } from 'pg';

export interface CompareOptions {
  /** Comment texts from the database (see loadDbComments): such descriptions must match exactly. */
  dbDescriptions?: Set<string>;
}

function kindOf(t: GraphQLNamedType): string {
  if (isScalarType(t)) return 'scalar';
  if (isObjectType(t)) return 'object';
  if (isInterfaceType(t)) return 'interface';
  if (isUnionType(t)) return 'union';
  if (isEnumType(t)) return 'enum';
  if (isInputObjectType(t)) return 'input object';
  return 'unknown';
}

function printDefault(value: unknown, type: GraphQLInputType): string {
  if (value === undefined) return '(none)';
  const ast = astFromValue(value, type);
  return ast ? print(ast) : '(unprintable)';
}

interface Described {
  description?: string | null;
  deprecationReason?: string | null;
}

function compareMeta(where: string, e: Described, a: Described, opts: CompareOptions, out: string[]): void {
  const ed = e.description ?? '';
  const ad = a.description ?? '';
  if (ed !== '') {
    if (ad === '') out.push(`${where}: missing description (expected ${JSON.stringify(ed)})`);
    else if (opts.dbDescriptions?.has(ed) && ad !== ed)
      out.push(`${where}: description from the database differs: expected ${JSON.stringify(ed)}, got ${JSON.stringify(ad)}`);
  }
  const er = e.deprecationReason ?? null;
  const ar = a.deprecationReason ?? null;
  if (er !== ar) out.push(`${where}: deprecation reason expected ${JSON.stringify(er)}, got ${JSON.stringify(ar)}`);
}

/** Report missing/extra names, then an order difference if the shared names are ordered differently. */
function compareNames(where: string, what: string, expected: string[], actual: string[], out: string[]): void {
  const eSet = new Set(expected);
  const aSet = new Set(actual);
  const missing = expected.filter((n) => !aSet.has(n));
  const extra = actual.filter((n) => !eSet.has(n));
  if (missing.length) out.push(`${where}: missing ${what} ${missing.join(', ')}`);
  if (extra.length) out.push(`${where}: extra ${what} ${extra.join(', ')}`);
  const eCommon = expected.filter((n) => aSet.has(n));
  const aCommon = actual.filter((n) => eSet.has(n));
  if (eCommon.join(',') !== aCommon.join(','))
    out.push(`${where}: ${what} order differs: expected ${eCommon.join(', ')}; got ${aCommon.join(', ')}`);
}

function compareInputValue(
  where: string,
  e: GraphQLArgument | GraphQLInputField,
  a: GraphQLArgument | GraphQLInputField,
  opts: CompareOptions,
  out: string[],
): void {
  if (String(e.type) !== String(a.type)) out.push(`${where}: type expected ${e.type}, got ${a.type}`);
  else {
    const ed = printDefault(e.defaultValue, e.type);
    const ad = printDefault(a.defaultValue, a.type);
    if (ed !== ad) out.push(`${where}: default expected ${ed}, got ${ad}`);
  }
  compareMeta(where, e, a, opts, out);
}

function compareField(where: string, e: GraphQLField<unknown, unknown>, a: GraphQLField<unknown, unknown>, opts: CompareOptions, out: string[]): void {
  if (String(e.type) !== String(a.type)) out.push(`${where}: type expected ${e.type}, got ${a.type}`);
  compareMeta(where, e, a, opts, out);
  compareNames(where, 'arguments', e.args.map((x) => x.name), a.args.map((x) => x.name), out);
  for (const ea of e.args) {
    const aa = a.args.find((x) => x.name === ea.name);
    if (aa) compareInputValue(`${where}(${ea.name})`, ea, aa, opts, out);
  }
}

function compareType(e: GraphQLNamedType, a: GraphQLNamedType, opts: CompareOptions, out: string[]): void {
  const name = e.name;
  if (kindOf(e) !== kindOf(a)) {
    out.push(`${name}: kind expected ${kindOf(e)}, got ${kindOf(a)}`);
    return;
  }
  compareMeta(name, e, a, opts, out);
  if ((isObjectType(e) && isObjectType(a)) || (isInterfaceType(e) && isInterfaceType(a))) {
    const ei = e.getInterfaces().map((i) => i.name).sort();
    const ai = a.getInterfaces().map((i) => i.name).sort();
    if (ei.join(',') !== ai.join(',')) out.push(`${name}: implements expected [${ei.join(', ')}], got [${ai.join(', ')}]`);
    const ef = e.getFields();
    const af = a.getFields();
    compareNames(name, 'fields', Object.keys(ef), Object.keys(af), out);
    for (const f of Object.keys(ef)) if (af[f]) compareField(`${name}.${f}`, ef[f], af[f], opts, out);
  } else if (isInputObjectType(e) && isInputObjectType(a)) {
    const ef = e.getFields();
    const af = a.getFields();
    compareNames(name, 'fields', Object.keys(ef), Object.keys(af), out);
    for (const f of Object.keys(ef)) if (af[f]) compareInputValue(`${name}.${f}`, ef[f], af[f], opts, out);
  } else if (isEnumType(e) && isEnumType(a)) {
    const ev = e.getValues();
    const av = a.getValues();
    compareNames(name, 'values', ev.map((v) => v.name), av.map((v) => v.name), out);
    for (const v of ev) {
      const other = av.find((x) => x.name === v.name);
      if (other) compareMeta(`${name}.${v.name}`, v, other, opts, out);
    }
  } else if (isUnionType(e) && isUnionType(a)) {
    const em = e.getTypes().map((t) => t.name).sort();
    const am = a.getTypes().map((t) => t.name).sort();
    if (em.join(',') !== am.join(',')) out.push(`${name}: union members expected [${em.join(', ')}], got [${am.join(', ')}]`);
  }
}

/** Human-readable differences between two schemas; an empty array means they match. */
export function compareSchemas(expected: GraphQLSchema, actual: GraphQLSchema, opts: CompareOptions = {}): string[] {
  const out: string[] = [];
  const roots = [
    ['query', expected.getQueryType(), actual.getQueryType()],
    ['mutation', expected.getMutationType(), actual.getMutationType()],
    ['subscription', expected.getSubscriptionType(), actual.getSubscriptionType()],
  ] as const;
  for (const [op, e, a] of roots)
    if ((e?.name ?? null) !== (a?.name ?? null)) out.push(`schema: ${op} type expected ${e?.name ?? 'none'}, got ${a?.name ?? 'none'}`);

  const visible = (s: GraphQLSchema) => Object.keys(s.getTypeMap()).filter((n) => !n.startsWith('__'));
  const eNames = visible(expected);
  const aNames = new Set(visible(actual));
  const missing = eNames.filter((n) => !aNames.has(n));
  const extra = [...aNames].filter((n) => !expected.getType(n));
  if (missing.length) out.push(`schema: missing types ${missing.sort().join(', ')}`);
  if (extra.length) out.push(`schema: extra types ${extra.sort().join(', ')}`);
  for (const n of eNames.sort()) {
    const a = actual.getType(n);
    if (a) compareType(expected.getType(n)!, a, opts, out);
  }
  return out;
}

/** compareSchemas on two SDL texts (built with the main tree's graphql 16). */
export function compareSdl(expectedSdl: string, actualSdl: string, opts: CompareOptions = {}): string[] {
  return compareSchemas(buildSchema(expectedSdl), buildSchema(actualSdl), opts);
}

/**
 * A comment with its smart-comment tag lines removed, as graphile-build-pg's parseTags does:
 * leading `@tag value` lines are tags; everything from the first other line on is the text.
 */
export function stripTags(comment: string): string {
  let text = '';
  for (const line of comment.split(/\r?\n/)) {
    if (text !== '') text = `${text}\n${line}`;
    else if (!/^@[a-zA-Z][a-zA-Z0-9_]*($|\s)/.test(line)) text = line;
  }
  return text;
}

/** Every comment text (tags stripped) on objects in the given schemas, and on the schemas. */
export async function loadDbComments(connectionString: string, schemas: string[]): Promise<Set<string>> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ description: string }>(
      `with ns as (select oid from pg_namespace where nspname = any($1::text[]))
       select d.description from pg_description d
       where (d.classoid = 'pg_class'::regclass and d.objoid in (select oid from pg_class where relnamespace in (select oid from ns)))
          or (d.classoid = 'pg_type'::regclass and d.objoid in (select oid from pg_type where typnamespace in (select oid from ns)))
          or (d.classoid = 'pg_proc'::regclass and d.objoid in (select oid from pg_proc where pronamespace in (select oid from ns)))
          or (d.classoid = 'pg_constraint'::regclass and d.objoid in (select oid from pg_constraint where connamespace in (select oid from ns)))
          or (d.classoid = 'pg_namespace'::regclass and d.objoid in (select oid from ns))`,
      [schemas],
    );
    const out = new Set<string>();
    for (const r of rows) {
      const text = stripTags(r.description);
      if (text !== '') out.add(text);
    }
    return out;
  } finally {
    await client.end();
  }
}
