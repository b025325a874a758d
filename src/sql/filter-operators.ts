// One connection-filter operator as SQL, with the semantics of postgraphile-plugin-connection-filter
// 2.3 on v4: `citext` compares case-sensitively as text unless the operator ignores case, the
// `…Insensitive` forms lower both sides (citext already ignores case), `includes`/`startsWith`/
// `endsWith` escape `%` and `_` in the text, and an empty `in` list matches nothing. Values are
// bound and cast to the column's type, except patterns and lowered values, which are text.
import type { PgType } from '../introspection/model';
import { OID } from '../introspection/oids';
import { sql, type SQL } from './fragment';
import { inputValue, typeRef, type Compiler } from './rows';

const COMPARE: Record<string, string> = {
  equalTo: '=', notEqualTo: '<>', distinctFrom: 'is distinct from', notDistinctFrom: 'is not distinct from',
  lessThan: '<', lessThanOrEqualTo: '<=', greaterThan: '>', greaterThanOrEqualTo: '>=',
};
const CONTAINMENT: Record<string, string> = {
  contains: '@>', containedBy: '<@', overlaps: '&&', strictlyLeftOf: '<<', strictlyRightOf: '>>',
  notExtendsRightOf: '&<', notExtendsLeftOf: '&>', adjacentTo: '-|-',
};
const INET: Record<string, string> = {
  contains: '>>', containsOrEqualTo: '>>=', containedBy: '<<', containedByOrEqualTo: '<<=', containsOrContainedBy: '&&',
};
const KEYS: Record<string, string> = { containsKey: '?', containsAllKeys: '?&', containsAnyKeys: '?|' };
/** `any…` operators: the value goes on the left, so the comparison turns round. */
const ANY: Record<string, string> = {
  anyEqualTo: '=', anyNotEqualTo: '<>', anyLessThan: '>', anyLessThanOrEqualTo: '>=', anyGreaterThan: '<', anyGreaterThanOrEqualTo: '<=',
};

export class FilterError extends Error {
  override name = 'FilterError';
}

const escapeLike = (s: string) => s.split('%').join('\\%').split('_').join('\\_');

/** `value` of `operator` (family-qualified, see schema/filter-operators.ts) applied to `lhs` of `type`. */
export function operatorSql(c: Compiler, operator: string, value: unknown, lhs: SQL, type: PgType): SQL {
  const [family, name] = operator.split('.');
  // v4 binds a domain's value as its base type: the domain's checks do not apply to filter values
  const base = (t: PgType): PgType => (t.type === 'd' && t.domainBaseTypeId ? base(c.lookupType(t.domainBaseTypeId)) : t);
  const valueType = base(type);
  const citext = type.name === 'citext' ? 'text' : type.name === '_citext' ? 'text[]' : null;
  // the column as compared case-sensitively, and a value of its type (citext: as text)
  const ident = citext ? sql`${lhs}::${sql.raw(citext)}` : lhs;
  const plain = (v: unknown) => citext ? inputValue(c, v, c.lookupType(citext === 'text' ? OID.text : '1009')) : inputValue(c, v, valueType);
  const list = (values: unknown[], item: (v: unknown) => SQL) => values.length === 0
    ? sql`(select null::${typeRef(type)} limit 0)`
    : sql`(${sql.join(values.map(item), ',')})`;
  switch (family) {
    case 'standard': case 'array': case 'range': case 'jsonb': case 'hstore': case 'inet': {
      if (name === 'isNull') return sql`${ident} ${sql.raw(value ? 'is null' : 'is not null')}`;
      if (name === 'in' || name === 'notIn') return sql`${ident} ${sql.raw(name === 'in' ? 'in' : 'not in')} ${list(value as unknown[], (v) => inputValue(c, v, valueType))}`;
      if (COMPARE[name]) return sql`${ident} ${sql.raw(COMPARE[name])} ${plain(value)}`;
      if (family === 'inet') return sql`${ident} ${sql.raw(INET[name])} ${plain(value)}`;
      if (KEYS[name]) return sql`${ident} ${sql.raw(KEYS[name])} ${name === 'containsKey' ? sql`${value}::text` : sql`${value}::text[]`}`;
      if (name === 'containsElement') return sql`${ident} @> ${inputValue(c, value, base(c.lookupType(type.rangeSubTypeId!)))}`;
      if (ANY[name]) return sql`${inputValue(c, value, base(c.lookupType(type.arrayItemTypeId!)))} ${sql.raw(ANY[name])} any (${ident})`;
      if (CONTAINMENT[name]) return sql`${ident} ${sql.raw(CONTAINMENT[name])} ${plain(value)}`;
      break;
    }
    case 'pattern': {
      const insensitive = name.endsWith('Insensitive');
      const base = insensitive ? name.slice(0, -'Insensitive'.length) : name;
      const negated = base.startsWith('not');
      const kind = negated ? base[3].toLowerCase() + base.slice(4) : base;
      const text = String(value);
      const pattern = kind === 'includes' ? `%${escapeLike(text)}%` : kind === 'startsWith' ? `${escapeLike(text)}%`
        : kind === 'endsWith' ? `%${escapeLike(text)}` : text;
      const op = `${negated ? 'not ' : ''}${insensitive ? 'ilike' : 'like'}`;
      // a pattern is text, whatever the column's type (char(n) would drop its trailing spaces)
      return sql`${insensitive ? lhs : ident} ${sql.raw(op)} ${pattern}::text`;
    }
    case 'insensitive': {
      const base = name.slice(0, -'Insensitive'.length);
      const lowered = type.name === 'citext' ? lhs : sql`lower(${lhs})`;
      // lowered as text, as v4 passes the value (char(n) would drop its trailing spaces)
      const item = (v: unknown) => type.name === 'citext' ? inputValue(c, v, valueType) : sql`lower(${v}::text)`;
      if (base === 'in' || base === 'notIn') return sql`${lowered} ${sql.raw(base === 'in' ? 'in' : 'not in')} ${list(value as unknown[], item)}`;
      if (COMPARE[base]) return sql`${lowered} ${sql.raw(COMPARE[base])} ${item(value)}`;
      break;
    }
  }
  throw new FilterError(`The filter operator ${operator} is not known to this server.`);
}
