// Converting values between PostgreSQL and the JSON the API speaks, in SQL: outputs are built
// by Postgres exactly as v4 shapes them (bigint and numeric as strings, JSON as text, enums as
// GraphQL names, intervals and points as objects), inputs are bind parameters cast to the type.
import type { PgType } from '../introspection/model';
import { OID, isJsonOid } from '../introspection/oids';
import { sql, type SQL } from './fragment';
import { geometryInput, geometryOutput, isGeometryOid, pointJson } from './geometry';

export type TypeLookup = (id: string) => PgType;

export interface OutputOptions {
  /** JSON columns as JSON values (v4's `dynamicJson`) instead of JSON text. */
  dynamicJson?: boolean;
}

/** Output options plus the names the schema gave each enum's labels. */
export interface OutputContext extends OutputOptions {
  enumNames: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** line, lseg, box, path, polygon and circle as objects (else their text). */
  geometricTypes?: boolean;
}

export function typeRef(type: PgType): SQL {
  return type.namespaceName === 'pg_catalog' ? sql.raw(`pg_catalog.${quoteIfNeeded(type.name)}`) : sql.ident(type.namespaceName, type.name);
}

function quoteIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** SQL that turns `expr` of `type` into the JSON value the GraphQL response carries. */
export function outputExpr(expr: SQL, type: PgType, lookup: TypeLookup, opts: OutputContext): SQL {
  switch (type.id) {
    case OID.int8: case OID.numeric: return sql`(${expr})::text`;
    case OID.money: return sql`(${expr})::numeric::float8`;
    case OID.json: case OID.jsonb:
      // JSON text must be compact like v4's; see execute/json-text.ts
      return opts.dynamicJson ? sql`(${expr})::json`
        : sql`(case when (${expr}) is null then null else json_build_object(${sql.raw("E'\\u0001json'")}, (${expr})::json) end)`;
    case OID.interval: return intervalExpr(expr);
    case OID.point: return sql`(case when ${expr} is null then null else ${pointJson(expr)} end)`;
    case OID.int2: case OID.int4: case OID.float4: case OID.float8: return expr;
    default: break;
  }
  if (opts.geometricTypes && isGeometryOid(type.id)) return geometryOutput(expr, type.id);
  // Other numeric base types (oid, …) are BigFloat, sent as strings like numeric.
  if (type.category === 'N' && type.type === 'b') return sql`(${expr})::text`;
  if (isHstoreType(type)) return sql`(${expr})::json`;
  if (type.type === 'e') {
    const names = opts.enumNames.get(type.id);
    if (!names) throw new Error(`The enum ${type.namespaceName}.${type.name} has no GraphQL values in this schema.`);
    const cases = [...names].map(([label, name]) => sql`when ${sql.literal(label)} then ${sql.literal(name)}`);
    return sql`(case (${expr})::text ${sql.join(cases, ' ')} end)`;
  }
  if (type.enumTypeId) return outputExpr(expr, lookup(type.enumTypeId), lookup, opts);
  if (type.type === 'd' && type.domainBaseTypeId) {
    return outputExpr(sql`(${expr})::${typeRef(lookup(type.domainBaseTypeId))}`, lookup(type.domainBaseTypeId), lookup, opts);
  }
  if (type.type === 'r' && type.rangeSubTypeId) {
    const sub = lookup(type.rangeSubTypeId);
    const bound = (fn: string, inc: string) => {
      const value = outputExpr(sql`${sql.raw(fn)}(${expr})`, sub, lookup, opts);
      return sql`case when ${sql.raw(fn)}(${expr}) is null then null else json_build_object('value', ${value}, 'inclusive', ${sql.raw(inc)}(${expr})) end`;
    };
    return sql`(case when (${expr}) is null then null else json_build_object('start', ${bound('lower', 'lower_inc')}, 'end', ${bound('upper', 'upper_inc')}) end)`;
  }
  if (type.isPgArray && type.arrayItemTypeId) {
    const item = lookup(type.arrayItemTypeId);
    const inner = outputExpr(sql`__e`, item, lookup, opts);
    if (inner.chunks.length === 1 && inner.chunks[0] === (sql`__e`).chunks[0]) return expr;
    if (isPassThrough(item, lookup, opts)) return expr;
    const agg = sql`coalesce(json_agg(${inner} order by __o), '[]'::json)`;
    return sql`(case when (${expr}) is null then null else (select ${agg} from unnest(${expr}) with ordinality as __u(__e, __o)) end)`;
  }
  return expr;
}

export function isHstoreType(type: PgType): boolean {
  return type.name === 'hstore' && type.type === 'b';
}

/** Types outputExpr converts, and the numbers JSON carries as they are. */
const CONVERTED = new Set<string>([OID.int8, OID.numeric, OID.money, OID.json, OID.jsonb, OID.interval, OID.point]);
const JSON_NUMBERS = new Set<string>([OID.int2, OID.int4, OID.float4, OID.float8]);

function isPassThrough(type: PgType, lookup: TypeLookup, opts: OutputContext): boolean {
  if (isJsonOid(type.id) && opts.dynamicJson) return true;
  if (CONVERTED.has(type.id) || (opts.geometricTypes && isGeometryOid(type.id))) return false;
  if (type.category === 'N' && type.type === 'b' && !JSON_NUMBERS.has(type.id)) return false;
  if (isHstoreType(type)) return false;
  if (type.type === 'e' || type.type === 'r' || type.type === 'c' || type.enumTypeId) return false;
  if (type.type === 'd' && type.domainBaseTypeId) return isPassThrough(lookup(type.domainBaseTypeId), lookup, opts);
  if (type.isPgArray && type.arrayItemTypeId) return isPassThrough(lookup(type.arrayItemTypeId), lookup, opts);
  return true;
}

function intervalExpr(expr: SQL): SQL {
  return sql`(case when (${expr}) is null then null else json_build_object(
    'seconds', extract(second from ${expr})::float8,
    'minutes', extract(minute from ${expr})::int,
    'hours', extract(hour from ${expr})::int,
    'days', extract(day from ${expr})::int,
    'months', extract(month from ${expr})::int,
    'years', extract(year from ${expr})::int) end)`;
}

/**
 * Whether a value decoded from a cursor or nodeId can be of this type at all, so a forged one
 * gets a clear error instead of reaching Postgres.
 */
export function plausibleValue(value: unknown, type: PgType): boolean {
  if (value === null) return true;
  const range = INTEGER_RANGES[type.id];
  if (range) return integerIn(value, range[0], range[1]);
  if (type.id === OID.uuid) return typeof value === 'string' && /^\{?([0-9a-f]{4}-?){7}[0-9a-f]{4}\}?$/i.test(value);
  switch (type.category) {
    case 'N':
      if (typeof value === 'number') return Number.isFinite(value);
      return typeof value === 'string' && /^(-?\d+(\.\d+)?(e[+-]?\d+)?|NaN|-?Infinity)$/i.test(value);
    case 'B': return typeof value === 'boolean';
    case 'S': case 'D': case 'E': case 'U': case 'I': case 'T': return typeof value === 'string';
    default: return true;
  }
}

// The integer types' ranges: forged values outside them never reach Postgres.
const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  [OID.int2]: [-(2n ** 15n), 2n ** 15n - 1n],
  [OID.int4]: [-(2n ** 31n), 2n ** 31n - 1n],
  [OID.int8]: [-(2n ** 63n), 2n ** 63n - 1n],
  [OID.oid]: [0n, 2n ** 32n - 1n],
};

/**
 * An integer within [min, max]: digits, or a JS number (v4's cursors hold bigints as numbers,
 * even past 2^53, so the largest int8 arrives rounded up to 2^63: numbers compare as numbers).
 */
function integerIn(value: unknown, min: bigint, max: bigint): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= Number(min) && value <= Number(max);
  if (typeof value !== 'string' || !/^-?\d{1,20}$/.test(value)) return false;
  const n = BigInt(value);
  return n >= min && n <= max;
}

/**
 * Whether a key value decoded from a node id casts to the key's type without an error, for the
 * common key types (integers, numeric, uuid, text); others only have to be plausible. `node`
 * answers null for an id that fails this, as v4 does, instead of failing the statement.
 */
export function validKeyValue(value: unknown, type: PgType, lookup: TypeLookup): boolean {
  if (value === null || value === undefined) return false;
  if (type.type === 'd' && type.domainBaseTypeId) return validKeyValue(value, lookup(type.domainBaseTypeId), lookup);
  const range = INTEGER_RANGES[type.id];
  if (range) return integerIn(typeof value === 'string' ? value.trim() : value, range[0], range[1]);
  if (type.id === OID.numeric) return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value));
  if (type.id === OID.uuid) return typeof value === 'string' && /^\{?[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}\}?$/i.test(value.trim());
  if (type.category === 'S') return typeof value === 'string' && !value.includes('\u0000');
  return plausibleValue(value, type);
}

/** A GraphQL input value as SQL: a bind parameter cast to the column or argument type. */
export function inputExpr(value: unknown, type: PgType, lookup: TypeLookup): SQL {
  if (value === null || value === undefined) return sql`null::${typeRef(type)}`;
  if (type.id === OID.interval && typeof value === 'object') {
    const o = value as Record<string, number | null>;
    const parts = ['seconds', 'minutes', 'hours', 'days', 'months', 'years']
      .filter((k) => o[k]).map((k) => `${o[k]} ${k}`);
    return sql`${parts.join(' ') || '0 seconds'}::interval`;
  }
  if (type.id === OID.point && typeof value === 'object') {
    const p = value as { x: number; y: number };
    return sql`point(${p.x}::float8, ${p.y}::float8)`;
  }
  if (isGeometryOid(type.id) && typeof value === 'object') return geometryInput(value as Record<string, unknown>, type.id);
  if (isJsonOid(type.id)) {
    return sql`${typeof value === 'string' ? value : JSON.stringify(value)}::${typeRef(type)}`;
  }
  if (isHstoreType(type) && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, string | null>);
    return sql`${sql.ident(type.namespaceName, 'hstore')}(${entries.map(([k]) => k)}::text[], ${entries.map(([, v]) => v)}::text[])`;
  }
  if (type.type === 'e') {
    // the value is the label: GraphQL enum values hold it, cursors and node ids carry it;
    // enum tables (`@enum`) keep their key column's type
    return sql`${String(value)}::${typeRef(type.domainBaseTypeId ? lookup(type.domainBaseTypeId) : type)}`;
  }
  if (type.type === 'r' && type.rangeSubTypeId && typeof value === 'object') {
    const r = value as { start?: { value: unknown; inclusive: boolean } | null; end?: { value: unknown; inclusive: boolean } | null };
    const sub = lookup(type.rangeSubTypeId);
    const lo = r.start ? inputExpr(r.start.value, sub, lookup) : sql`null`;
    const hi = r.end ? inputExpr(r.end.value, sub, lookup) : sql`null`;
    const bounds = `${r.start && !r.start.inclusive ? '(' : '['}${r.end && !r.end.inclusive ? ')' : ']'}`;
    return sql`${typeRef(type)}(${lo}, ${hi}, ${sql.literal(bounds)})`;
  }
  if (type.enumTypeId) return sql`(${inputExpr(value, lookup(type.enumTypeId), lookup)})::${typeRef(type)}`;
  if (type.type === 'd' && type.domainBaseTypeId) {
    const base = lookup(type.domainBaseTypeId);
    return sql`(${inputExpr(value, base, lookup)})::${typeRef(type)}`;
  }
  if (type.isPgArray && type.arrayItemTypeId && Array.isArray(value)) {
    const item = lookup(type.arrayItemTypeId);
    return sql`array[${sql.join(value.map((v) => inputExpr(v, item, lookup)), ', ')}]::${typeRef(type)}`;
  }
  if (type.classId && typeof value === 'object') {
    return sql`${JSON.stringify(value)}::text`; // composite inputs are handled by the caller
  }
  return sql`${typeof value === 'object' ? JSON.stringify(value) : value}::${typeRef(type)}`;
}
