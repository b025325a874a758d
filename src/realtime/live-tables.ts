// Which tables a live query reads, from the field plans the schema attaches to every field
// (`extensions.forumDev`). A change to any other table cannot change the query's result, so it
// need not run again. When a query could read anything (functions, `node`), the answer is ANY.
import {
  Kind, getNamedType, isAbstractType, isObjectType, type FragmentDefinitionNode, type GraphQLNamedType,
  isInputObjectType, type ArgumentNode, type GraphQLArgument, type GraphQLInputField, type GraphQLObjectType, type GraphQLSchema, type SelectionSetNode, type ValueNode,
} from 'graphql';
import type { Model } from '../introspection/model';
import type { FieldPlan, FilterFieldPlan } from '../schema/plans';

/** Every table the query may read: `schema.table` names, as the change triggers send them. */
export type TablesRead = Set<string> | 'any';

export function tableKey(t: { namespaceName: string; name: string }): string {
  return `${t.namespaceName}.${t.name}`;
}

/** Tables, partitioned tables and foreign tables of the model: those that can carry triggers. */
export function liveTables(model: Model): Array<{ schema: string; table: string }> {
  return model.classes
    .filter((c) => c.classKind === 'r' || c.classKind === 'p' || c.classKind === 'f')
    .map((c) => ({ schema: c.namespaceName, table: c.name }));
}

/**
 * Walks `selectionSet` (on `Query`) and collects the tables of allRows, row lookups and
 * relations. Functions (query procedures, computed columns) may read tables their return type
 * does not name, and `node(nodeId:)` names its table only at run time: either makes it ANY.
 */
export function tablesRead(schema: GraphQLSchema, selectionSet: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): TablesRead {
  const out = new Set<string>();
  const seen = new Set<string>();
  let any = false;
  const walk = (type: GraphQLNamedType, set: SelectionSetNode): void => {
    for (const s of set.selections) {
      if (any) return;
      if (s.kind === Kind.INLINE_FRAGMENT || s.kind === Kind.FRAGMENT_SPREAD) {
        const frag = s.kind === Kind.INLINE_FRAGMENT ? s : fragments[s.name.value];
        if (!frag) continue;
        const cond = frag.typeCondition ? schema.getType(frag.typeCondition.name.value) : type;
        if (cond) walk(cond, frag.selectionSet);
        continue;
      }
      if (s.name.value.startsWith('__')) continue;
      // Fields of an interface selected without a type condition: any implementation may answer.
      if (isAbstractType(type)) {
        any = true;
        return;
      }
      if (!isObjectType(type)) continue;
      const field = (type as GraphQLObjectType).getFields()[s.name.value];
      if (!field) continue;
      const plan = (field.extensions as { forumDev?: FieldPlan } | undefined)?.forumDev;
      if (plan) {
        if (plan.kind === 'proc' || plan.kind === 'node' || filterReadsOtherTables(field.args, s.arguments ?? [])) {
          any = true;
          return;
        }
        for (const key of ['table', 'foreign'] as const) {
          const t = (plan as Record<string, unknown>)[key] as { namespaceName?: string; name?: string } | null | undefined;
          if (t?.namespaceName && t.name) out.add(tableKey(t as { namespaceName: string; name: string }));
        }
      }
      if (s.selectionSet) {
        const next = getNamedType(field.type);
        // Guards against fragment cycles (invalid documents are rejected earlier anyway).
        const mark = `${next.name}:${s.loc?.start ?? ''}`;
        if (seen.has(mark)) continue;
        seen.add(mark);
        walk(next, s.selectionSet);
      }
    }
  };
  const query = schema.getQueryType();
  if (!query) return 'any';
  walk(query, selectionSet);
  return any ? 'any' : out;
}

/**
 * Whether the `filter` argument given to a field may read other tables: it names relations or
 * computed columns (the connection filter). A variable stands for anything its type allows.
 */
function filterReadsOtherTables(args: readonly GraphQLArgument[], given: readonly ArgumentNode[]): boolean {
  const node = given.find((a) => a.name.value === 'filter');
  const filter = node && args.find((a) => a.name === 'filter');
  if (!node || !filter) return false;
  const otherTables = (f: GraphQLInputField) => {
    const kind = (f.extensions as { forumDev?: FilterFieldPlan } | undefined)?.forumDev?.kind;
    return kind === 'filterRelation' || kind === 'filterExists' || kind === 'filterMany' || kind === 'filterComputed';
  };
  const seen = new Set<string>();
  const anyValue = (type: GraphQLNamedType): boolean => {
    if (!isInputObjectType(type) || seen.has(type.name)) return false;
    seen.add(type.name);
    return Object.values(type.getFields()).some((f) => otherTables(f) || anyValue(getNamedType(f.type)));
  };
  const reads = (type: GraphQLNamedType, value: ValueNode): boolean => {
    if (value.kind === Kind.VARIABLE) return anyValue(type);
    if (value.kind === Kind.LIST) return value.values.some((v) => reads(type, v));
    if (value.kind !== Kind.OBJECT || !isInputObjectType(type)) return false;
    return value.fields.some((v) => {
      const f = type.getFields()[v.name.value];
      return !!f && (otherTables(f) || reads(getNamedType(f.type), v.value));
    });
  };
  return reads(getNamedType(filter.type), node.value);
}
