// The connection filter's `filter` argument as one WHERE condition, with bound values only. The
// schema recorded what each input field filters on (FilterFieldPlan); this walks the value
// given, as v4 with postgraphile-plugin-connection-filter 2.3 resolves it: conditions joined by
// `and`, relations as `exists` subqueries, and `null` / `{}` refused unless the options allow them.
import { GraphQLInputObjectType, getNamedType, type GraphQLInputField } from 'graphql';
import type { FilterArgPlan, FilterFieldPlan, PgType } from '../schema/plans';
import { sql, type SQL } from './fragment';
import { FilterError, operatorSql } from './filter-operators';
import type { Compiler } from './rows';
import type { CollectedField } from './selection';

export { FilterError };

interface Walk { c: Compiler; plan: FilterArgPlan }

const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** null when the options allow it (then it is ignored), else v4's refusal. */
function refuseNull(w: Walk): null {
  if (!w.plan.allowNullInput) throw new FilterError('Null literals are forbidden in filter argument input.');
  return null;
}

function refuseEmpty(w: Walk): null {
  if (!w.plan.allowEmptyObjectInput) throw new FilterError('Empty objects are forbidden in filter argument input.');
  return null;
}

const and = (parts: SQL[]) => (parts.length ? sql`(${sql.join(parts, ') and (')})` : null);

/** The condition the collection's `filter` argument sets on its rows (`row`), if it was given. */
export function filterCondition(c: Compiler, f: CollectedField, args: Record<string, unknown>, row: SQL): SQL | null {
  if (!Object.prototype.hasOwnProperty.call(args, 'filter')) return null;
  const arg = f.field?.args.find((a) => a.name === 'filter');
  const plan = arg?.extensions?.forumDev as FilterArgPlan | undefined;
  if (!arg || !plan) return null;
  const w: Walk = { c, plan };
  return resolve(w, args.filter, getNamedType(arg.type) as GraphQLInputObjectType, row, plan.valueType ?? null);
}

/** One filter object: each field's condition, all of which must hold. `valueType`: the type `row` holds, for operators. */
function resolve(w: Walk, value: unknown, type: GraphQLInputObjectType, row: SQL, valueType: PgType | null): SQL | null {
  if (value == null) return refuseNull(w);
  if (isEmptyObject(value)) return refuseEmpty(w);
  const fields = type.getFields();
  const parts: SQL[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v == null) refuseNull(w);
    else if (isEmptyObject(v)) refuseEmpty(w);
    else {
      const part = fieldCondition(w, fields[key], v, row, valueType);
      if (part) parts.push(part);
    }
  }
  return and(parts);
}

function fieldCondition(w: Walk, field: GraphQLInputField | undefined, value: unknown, row: SQL, valueType: PgType | null): SQL | null {
  const plan = field?.extensions?.forumDev as FilterFieldPlan | undefined;
  if (!field || !plan) throw new FilterError(`Unable to resolve filter field '${field?.name}'`);
  const sub = getNamedType(field.type) as GraphQLInputObjectType;
  switch (plan.kind) {
    case 'filterOperator':
      return operatorSql(w.c, plan.operator, value, row, valueType!);
    case 'filterColumn': {
      const column = sql`${row}.${sql.ident(plan.attr.name)}`;
      // a composite column: its own fields are filtered (parenthesised to read them)
      return plan.type.type === 'c' ? resolve(w, value, sub, sql`(${column})`, null) : resolve(w, value, sub, column, plan.type);
    }
    case 'filterComputed':
      return resolve(w, value, sub, sql`${sql.ident(plan.proc.namespaceName, plan.proc.name)}(${row})`, plan.type);
    case 'filterRelation': case 'filterExists': {
      const { a, from } = related(w, plan, row);
      if (plan.kind === 'filterExists') return sql`${sql.raw(value === true ? 'exists' : 'not exists')}(${from})`;
      const cond = resolve(w, value, sub, a, null);
      return cond && sql`exists(${from} and (${cond}))`;
    }
    case 'filterMany': {
      const parts: SQL[] = [];
      if (isEmptyObject(value)) return refuseEmpty(w);
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (v == null) refuseNull(w);
        else if (isEmptyObject(v)) refuseEmpty(w);
        else {
          const q = sub.getFields()[key];
          const { a, from } = related(w, plan, row);
          const cond = resolve(w, v, getNamedType(q.type) as GraphQLInputObjectType, a, null);
          if (!cond) continue;
          const quantifier = (q.extensions.forumDev as { quantifier: 'every' | 'some' | 'none' }).quantifier;
          parts.push(quantifier === 'every' ? sql`not exists(${from} and not (${cond}))`
            : quantifier === 'some' ? sql`exists(${from} and (${cond}))` : sql`not exists(${from} and (${cond}))`);
        }
      }
      return and(parts);
    }
    case 'filterQuantifier':
      throw new FilterError(`Unable to resolve filter field '${field.name}'`);
    case 'filterLogical': {
      if (plan.op === 'not') {
        const cond = resolve(w, value, sub, row, valueType);
        return cond && sql`not (${cond})`;
      }
      const parts = (value as unknown[]).map((x) => resolve(w, x, sub, row, valueType)).filter((x): x is SQL => x !== null);
      return parts.length ? sql`(${sql.join(parts, plan.op === 'and' ? ') and (' : ') or (')})` : null;
    }
  }
}

/** `select 1 from <related table> as a where <its keys> = <the row's keys>`. */
function related(w: Walk, plan: FilterFieldPlan & { kind: 'filterRelation' | 'filterExists' | 'filterMany' }, row: SQL) {
  const a = w.c.alias();
  const keys = plan.keys.map((k, i) => sql`${a}.${sql.ident(k.name)} = ${row}.${sql.ident(plan.rowKeys[i].name)}`);
  return { a, from: sql`select 1 from ${sql.ident(plan.table.namespaceName, plan.table.name)} as ${a} where (${sql.join(keys, ') and (')})` };
}
