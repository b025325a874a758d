// PostGraphile v4's scalars and built-in object types, and the mapping from PostgreSQL base
// types (by OID) to them. Descriptions are our own words.
import {
  GraphQLBoolean, GraphQLFloat, GraphQLInputObjectType, GraphQLInt, GraphQLNonNull,
  GraphQLObjectType, GraphQLScalarType, GraphQLString, Kind, valueFromASTUntyped, type GraphQLInputType, type ValueNode,
  type GraphQLOutputType,
} from 'graphql';
import { OID } from '../introspection/oids';
import { geometryTypes } from './geometry';

/**
 * The scalar the configured JWT composite becomes, named like the composite as v4 names it
 * (`jwt_token` -> `JwtToken`); its plan marks values to sign, whatever the name.
 */
export function jwtScalar(name: string): GraphQLScalarType {
  const base = stringScalar(name, 'A signed JSON Web Token (RFC 7519) carrying claims about who holds it.');
  // v4 also types inputs of the JWT composite (a column of it) with this scalar, and takes none
  const refuse = (): never => {
    throw new TypeError(`A ${name} cannot be given as input (as in v4, a JWT is only ever returned); leave the field out.`);
  };
  return new GraphQLScalarType({ ...base.toConfig(), parseValue: refuse, parseLiteral: refuse, extensions: { forumDev: { kind: 'jwt' } } });
}

function stringScalar(name: string, description: string, check?: (s: string) => void) {
  return new GraphQLScalarType({
    name,
    description,
    serialize: (v) => String(v),
    parseValue: (v) => {
      const s = String(v);
      check?.(s);
      return s;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new Error('Can only parse string values');
      check?.(ast.value);
      return ast.value;
    },
  });
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function dynamicJsonScalar(name: string) {
  return new GraphQLScalarType({
    name,
    description: 'Any JSON value: object, array, string, number, boolean or null.',
    serialize: (v) => v,
    // held as JSON text from here on, so a string value is the JSON string, not JSON to parse
    parseValue: (v) => JSON.stringify(v),
    parseLiteral: (ast, variables) => JSON.stringify(valueFromASTUntyped(ast, variables)),
  });
}

// v4 accepts any object (arrays included) whose values are strings or null.
function isKeyValueHash(v: unknown): boolean {
  return v === null || (typeof v === 'object' && Object.values(v as object).every((x) => x === null || typeof x === 'string'));
}

/** One value of a KeyValueHash literal, as v4 reads it: numbers become their text. */
function hashValueLiteral(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.INT: case Kind.FLOAT: return String(parseFloat(ast.value));
    case Kind.STRING: return ast.value;
    case Kind.NULL: return null;
    case Kind.VARIABLE: {
      const value = variables?.[ast.name.value];
      return value === null || typeof value === 'string' ? value : undefined;
    }
    default: return undefined;
  }
}

/** hstore, as v4 exposes it: a JSON object whose values are strings or null. */
function keyValueHashScalar() {
  const message = 'KeyValueHash values must be objects whose values are strings or null.';
  const check = (v: unknown) => {
    if (!isKeyValueHash(v)) throw new TypeError(message);
    return v;
  };
  return new GraphQLScalarType({
    name: 'KeyValueHash',
    description: 'A set of key/value pairs: a JSON object whose keys are strings and whose values are strings or null.',
    serialize: (v) => v,
    parseValue: check,
    parseLiteral: (ast, variables) => {
      if (ast.kind === Kind.NULL) return null;
      if (ast.kind === Kind.VARIABLE) return check(variables?.[ast.name.value]);
      if (ast.kind !== Kind.OBJECT) throw new TypeError(message);
      const value: Record<string, unknown> = Object.create(null);
      for (const field of ast.fields) value[field.name.value] = hashValueLiteral(field.value, variables);
      return check(value);
    },
  });
}

/** The scalar choices v4's options make: dynamic JSON, v3's `Json`/`Uuid` names, network scalars. */
export interface ScalarOptions {
  dynamicJson?: boolean;
  legacyJsonUuid?: boolean;
  pgUseCustomNetworkScalars?: boolean;
  /** line, lseg, box, path, polygon and circle as objects (v4's `pgGeometricTypes`). */
  pgGeometricTypes?: boolean;
}

export function makeScalars(options: ScalarOptions = {}) {
  const { dynamicJson = false, legacyJsonUuid = false } = options;
  const jsonName = legacyJsonUuid ? 'Json' : 'JSON';
  const network = (name: string, description: string) =>
    (options.pgUseCustomNetworkScalars ? stringScalar(name, description) : GraphQLString);
  const s = {
    Cursor: stringScalar('Cursor', 'An opaque position in a connection, used with `before` and `after` to page through it.'),
    BigInt: stringScalar('BigInt', 'A signed eight-byte integer, sent as a string because it can exceed what a JavaScript number holds exactly.'),
    BigFloat: stringScalar('BigFloat', 'An arbitrary-precision decimal number, sent as a string so no precision is lost.'),
    BitString: stringScalar('BitString', 'A string of binary digits (0 and 1).'),
    Date: stringScalar('Date', 'A calendar date without a time of day, e.g. `2024-01-31`.'),
    Datetime: stringScalar('Datetime', 'A point in time as an ISO 8601 string; it carries a timezone offset when the column does.'),
    Time: stringScalar('Time', 'A time of day without a date; it carries a timezone offset when the column does.'),
    JSON: dynamicJson ? dynamicJsonScalar(jsonName) : stringScalar(jsonName, 'A JSON value, sent and received as a string of JSON text.'),
    UUID: stringScalar(legacyJsonUuid ? 'Uuid' : 'UUID', 'A universally unique identifier (RFC 4122), 32 hexadecimal digits with optional hyphens.', (v) => {
      if (!UUID_RE.test(v)) throw new Error('Invalid UUID, expected 32 hexadecimal characters, optionally with hyphens');
    }),
    InternetAddress: stringScalar('InternetAddress', 'An IPv4 or IPv6 host address, with an optional subnet.'),
    CidrAddress: network('CidrAddress', 'An IPv4 or IPv6 network address in CIDR notation, e.g. `10.0.0.0/8`.'),
    MacAddress: network('MacAddress', 'A six-byte MAC address, e.g. `08:00:2b:01:02:03`.'),
    MacAddress8: network('MacAddress8', 'An eight-byte (EUI-64) MAC address.'),
    RegProc: stringScalar('RegProc', 'The name of a database function (an object identifier type).'),
    RegProcedure: stringScalar('RegProcedure', 'A database function with its argument types (an object identifier type).'),
    RegOper: stringScalar('RegOper', 'The name of a database operator (an object identifier type).'),
    RegOperator: stringScalar('RegOperator', 'A database operator with its argument types (an object identifier type).'),
    RegClass: stringScalar('RegClass', 'The name of a database relation (an object identifier type).'),
    RegType: stringScalar('RegType', 'The name of a database data type (an object identifier type).'),
    RegRole: stringScalar('RegRole', 'The name of a database role (an object identifier type).'),
    RegNamespace: stringScalar('RegNamespace', 'The name of a database schema (an object identifier type).'),
    RegConfig: stringScalar('RegConfig', 'A text search configuration (an object identifier type).'),
    RegDictionary: stringScalar('RegDictionary', 'A text search dictionary (an object identifier type).'),
    KeyValueHash: keyValueHashScalar(),
  };
  const intervalFields = () => ({
    seconds: { type: GraphQLFloat, description: 'Seconds, the only field with a fractional part; larger units carry their own counts.' },
    minutes: { type: GraphQLInt, description: 'Whole minutes.' },
    hours: { type: GraphQLInt, description: 'Whole hours.' },
    days: { type: GraphQLInt, description: 'Whole days.' },
    months: { type: GraphQLInt, description: 'Whole months.' },
    years: { type: GraphQLInt, description: 'Whole years.' },
  });
  const Interval = new GraphQLObjectType({
    name: 'Interval',
    description: 'A span of time, split into units down to seconds.',
    fields: intervalFields,
    extensions: { forumDev: { kind: 'interval' } },
  });
  const IntervalInput = new GraphQLInputObjectType({
    name: 'IntervalInput',
    description: 'A span of time, split into units down to seconds.',
    fields: intervalFields,
  });
  const pointFields = () => ({
    x: { type: new GraphQLNonNull(GraphQLFloat) },
    y: { type: new GraphQLNonNull(GraphQLFloat) },
  });
  const Point = new GraphQLObjectType({ name: 'Point', fields: pointFields, extensions: { forumDev: { kind: 'point' } } });
  const PointInput = new GraphQLInputObjectType({ name: 'PointInput', fields: pointFields });
  const geometry = options.pgGeometricTypes ? geometryTypes(Point, PointInput) : {};
  return { ...s, Interval, IntervalInput, Point, PointInput, geometry };
}

export type Scalars = ReturnType<typeof makeScalars>;

/** Output and input GraphQL types for a PostgreSQL base type, or undefined for a fallback. */
export function builtinForOid(
  oid: string, s: Scalars,
): { output: GraphQLOutputType; input: GraphQLInputType } | undefined {
  const same = (t: GraphQLScalarType) => ({ output: t, input: t });
  if (s.geometry[oid]) return s.geometry[oid];
  switch (oid) {
    case OID.int8: return same(s.BigInt);
    case OID.int2: case OID.int4: return same(GraphQLInt);
    case OID.float4: case OID.float8: case OID.money: return same(GraphQLFloat);
    case OID.numeric: return same(s.BigFloat);
    case OID.interval: return { output: s.Interval, input: s.IntervalInput };
    case OID.date: return same(s.Date);
    case OID.timestamp: case OID.timestamptz: return same(s.Datetime);
    case OID.time: case OID.timetz: return same(s.Time);
    case OID.json: case OID.jsonb: return same(s.JSON);
    case OID.uuid: return same(s.UUID);
    case OID.bit: case OID.varbit: return same(s.BitString);
    case OID.char: case OID.text: case OID.varchar: return same(GraphQLString);
    case OID.point: return { output: s.Point, input: s.PointInput };
    case OID.inet: return same(s.InternetAddress);
    case OID.cidr: return same(s.CidrAddress);
    case OID.macaddr: return same(s.MacAddress);
    case OID.macaddr8: return same(s.MacAddress8);
    case OID.regproc: return same(s.RegProc);
    case OID.regprocedure: return same(s.RegProcedure);
    case OID.regoper: return same(s.RegOper);
    case OID.regoperator: return same(s.RegOperator);
    case OID.regclass: return same(s.RegClass);
    case OID.regtype: return same(s.RegType);
    case OID.regrole: return same(s.RegRole);
    case OID.regnamespace: return same(s.RegNamespace);
    case OID.regconfig: return same(s.RegConfig);
    case OID.regdictionary: return same(s.RegDictionary);
    case OID.bool: return same(GraphQLBoolean);
    default: return undefined;
  }
}
