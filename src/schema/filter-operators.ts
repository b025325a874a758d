// The operator input types of the built-in connection filter (`StringFilter`, `IntListFilter`,
// `IntRangeFilter`, …): which PostgreSQL types get one, its name, and its operators, as
// postgraphile-plugin-connection-filter 2.3 gives them on v4. Each operator field records its
// family-qualified name (`pattern.includes`, `inet.contains`) for sql/filter.ts to compile.
import {
  GraphQLBoolean, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLString, getNamedType,
  type GraphQLInputFieldConfigMap, type GraphQLInputType, type GraphQLNamedType,
} from 'graphql';
import type { PgType } from '../introspection/model';
import { getType, inputType, outputType, type BuildContext } from './context';
import type { FilterOptions } from './filter-options';
import { OID } from '../introspection/oids';

/** What an operator takes: the field's own input type, or another shape. */
type Shape = 'same' | 'boolean' | 'list' | 'string' | 'stringList' | 'rangeElement' | 'arrayItem';
type Operator = { family: string; name: string; shape: Shape; description: string };

const op = (family: string, name: string, shape: Shape, description: string): Operator => ({ family, name, shape, description });

const standard = [
  op('standard', 'isNull', 'boolean', 'True: only items where this is null; false: only items where it is not.'),
  op('standard', 'equalTo', 'same', 'Keeps items equal to this value.'),
  op('standard', 'notEqualTo', 'same', 'Keeps items not equal to this value.'),
  op('standard', 'distinctFrom', 'same', 'Keeps items different from this value, where null is a value like any other.'),
  op('standard', 'notDistinctFrom', 'same', 'Keeps items the same as this value, where null is a value like any other.'),
  op('standard', 'in', 'list', 'Keeps items equal to one of these values.'),
  op('standard', 'notIn', 'list', 'Keeps items equal to none of these values.'),
];
const sort = [
  op('standard', 'lessThan', 'same', 'Keeps items below this value.'),
  op('standard', 'lessThanOrEqualTo', 'same', 'Keeps items at or below this value.'),
  op('standard', 'greaterThan', 'same', 'Keeps items above this value.'),
  op('standard', 'greaterThanOrEqualTo', 'same', 'Keeps items at or above this value.'),
];
const wildcards = 'In the pattern, `_` stands for any one character and `%` for any run of characters.';
const pattern = (['includes', 'startsWith', 'endsWith', 'like'] as const).flatMap((base) => {
  const what = { includes: 'contain the text', startsWith: 'start with the text', endsWith: 'end with the text', like: `match the pattern. ${wildcards}` }[base];
  const not = `not${base[0].toUpperCase()}${base.slice(1)}`;
  return [
    op('pattern', base, 'same', `Keeps items that ${what} (case matters).`),
    op('pattern', not, 'same', `Keeps items that do not ${what} (case matters).`),
    op('pattern', `${base}Insensitive`, 'same', `Keeps items that ${what}, ignoring case.`),
    op('pattern', `${not}Insensitive`, 'same', `Keeps items that do not ${what}, ignoring case.`),
  ];
});
const insensitive = [...standard.slice(1), ...sort].map((o) =>
  op('insensitive', `${o.name}Insensitive`, o.shape, `${o.description.slice(0, -1)}, ignoring case.`));
const keyed = (family: 'jsonb' | 'hstore', what: string) => [
  op(family, 'contains', 'same', `Keeps items that contain this ${what}.`),
  op(family, 'containsKey', 'string', 'Keeps items that have this key.'),
  op(family, 'containsAllKeys', 'stringList', 'Keeps items that have all of these keys.'),
  op(family, 'containsAnyKeys', 'stringList', 'Keeps items that have at least one of these keys.'),
  op(family, 'containedBy', 'same', `Keeps items contained in this ${what}.`),
];
const inet = [
  op('inet', 'contains', 'same', 'Keeps networks that contain this address.'),
  op('inet', 'containsOrEqualTo', 'same', 'Keeps networks that contain or equal this address.'),
  op('inet', 'containedBy', 'same', 'Keeps addresses inside this network.'),
  op('inet', 'containedByOrEqualTo', 'same', 'Keeps addresses inside or equal to this network.'),
  op('inet', 'containsOrContainedBy', 'same', 'Keeps addresses that contain or are inside this network.'),
];
const range = [
  op('range', 'contains', 'same', 'Keeps ranges that contain this whole range.'),
  op('range', 'containsElement', 'rangeElement', 'Keeps ranges that contain this value.'),
  op('range', 'containedBy', 'same', 'Keeps ranges inside this range.'),
  op('range', 'overlaps', 'same', 'Keeps ranges sharing a value with this range.'),
  op('range', 'strictlyLeftOf', 'same', 'Keeps ranges wholly below this range.'),
  op('range', 'strictlyRightOf', 'same', 'Keeps ranges wholly above this range.'),
  op('range', 'notExtendsRightOf', 'same', 'Keeps ranges that reach no higher than this range.'),
  op('range', 'notExtendsLeftOf', 'same', 'Keeps ranges that reach no lower than this range.'),
  op('range', 'adjacentTo', 'same', 'Keeps ranges that meet this range without a gap or overlap.'),
];
const array = [
  ...standard.slice(0, 5), ...sort,
  op('array', 'contains', 'same', 'Keeps lists holding every one of these values.'),
  op('array', 'containedBy', 'same', 'Keeps lists whose values are all among these.'),
  op('array', 'overlaps', 'same', 'Keeps lists holding at least one of these values.'),
  ...([['EqualTo', 'equal to'], ['NotEqualTo', 'not equal to'], ['LessThan', 'below'], ['LessThanOrEqualTo', 'at or below'],
    ['GreaterThan', 'above'], ['GreaterThanOrEqualTo', 'at or above']] as const)
    .map(([n, what]) => op('array', `any${n}`, 'arrayItem', `Keeps lists with at least one item ${what} this value.`)),
];

const ordered = [...standard, ...sort];
/** Operators by the GraphQL name of the filtered type (v4's default scalar names). */
const scalarOperators: Record<string, Operator[]> = {
  ...Object.fromEntries(['BigFloat', 'BigInt', 'BitString', 'Boolean', 'Date', 'Datetime', 'Float', 'Int', 'Interval',
    'MacAddress', 'MacAddress8', 'Time', 'UUID'].map((n) => [n, ordered])),
  CidrAddress: [...ordered, ...inet],
  InternetAddress: [...ordered, ...inet],
  JSON: [...ordered, ...keyed('jsonb', 'JSON')],
  KeyValueHash: [...standard, ...keyed('hstore', 'KeyValueHash')],
  String: [...ordered, ...pattern, ...insensitive],
};

/** pg types whose `String` is really text (others v4 only shows as strings): bpchar, char, name, text, varchar. */
const TEXT_OIDS = new Set<string>([OID.bpchar, OID.char, OID.name, OID.text, OID.varchar]);

export const filterOptionsOf = (ctx: BuildContext): FilterOptions => ctx.options.connectionFilter!;

/** The operator input type for values of `type`, or null when the plugin gives it none. */
export function operatorsType(ctx: BuildContext, type: PgType): GraphQLInputObjectType | null {
  const options = filterOptionsOf(ctx);
  if (type.enumTypeId) return operatorsType(ctx, getType(ctx, type.enumTypeId));
  if (!['b', 'd', 'e', 'r'].includes(type.type)) return null;
  // the type under one array, range and domain wrapper must be an enum or a plain base type
  let simple = type.isPgArray && type.arrayItemTypeId ? getType(ctx, type.arrayItemTypeId) : type;
  if (simple.rangeSubTypeId) simple = getType(ctx, simple.rangeSubTypeId);
  if (simple.type === 'd' && simple.domainBaseTypeId) simple = getType(ctx, simple.domainBaseTypeId);
  if (simple.enumTypeId) simple = getType(ctx, simple.enumTypeId);
  if (!(simple.type === 'e' || (simple.type === 'b' && !simple.isPgArray)) || simple.name === 'json') return null;
  const fieldType = outputType(ctx, type);
  const fieldInput = inputType(ctx, type);
  if (!fieldInput) return null;
  const named = getNamedType(fieldType) as GraphQLNamedType;
  const namedInput = getNamedType(fieldInput);
  if (namedInput.name === 'String' && !TEXT_OIDS.has(simple.id) && simple.name !== 'citext') return null;
  if (options.allowedFieldTypes && !options.allowedFieldTypes.includes(named.name)) return null;
  const category = type.isPgArray ? 'Array' : type.rangeSubTypeId ? 'Range' : type.type === 'e' ? 'Enum' : type.type === 'd' ? 'Domain' : 'Scalar';
  if (category === 'Array' && !options.arrays) return null;
  const list = fieldType instanceof GraphQLList;
  const name = list ? `${named.name}ListFilter` : `${named.name}Filter`;
  const key = `filter:${name}`;
  if (ctx.cache.has(key)) return ctx.cache.get(key) as GraphQLInputObjectType | null;
  const operators = category === 'Array' ? array : category === 'Range' ? [...ordered, ...range] : category === 'Enum' ? ordered
    : category === 'Domain' ? scalarOperators[(getNamedType(outputType(ctx, getType(ctx, type.domainBaseTypeId!))) as GraphQLNamedType).name] ?? []
      : scalarOperators[named.name] ?? [];
  const rangeElement = type.rangeSubTypeId ? inputType(ctx, getType(ctx, type.rangeSubTypeId)) : null;
  const fields: GraphQLInputFieldConfigMap = {};
  for (const o of operators) {
    if (options.allowedOperators && !options.allowedOperators.includes(o.name)) continue;
    const t = shapeType(o.shape, fieldInput, rangeElement);
    if (!t) continue;
    fields[options.operatorNames[o.name] ?? o.name] = {
      type: t, description: o.description, extensions: { forumDev: { kind: 'filterOperator', operator: `${o.family}.${o.name}` } },
    };
  }
  const made = Object.keys(fields).length ? new GraphQLInputObjectType({
    name, description: `Operators that filter on a \`${named.name}${list ? ' List' : ''}\` value; all that are set must hold.`, fields,
  }) : null;
  ctx.cache.set(key, made);
  return made;
}

function shapeType(shape: Shape, same: GraphQLInputType, rangeElement: GraphQLInputType | null): GraphQLInputType | null {
  switch (shape) {
    case 'same': return same;
    case 'boolean': return GraphQLBoolean;
    case 'list': return new GraphQLList(new GraphQLNonNull(same));
    case 'string': return GraphQLString;
    case 'stringList': return new GraphQLList(new GraphQLNonNull(GraphQLString));
    case 'rangeElement': return rangeElement;
    case 'arrayItem': return getNamedType(same) as GraphQLInputType;
  }
}
