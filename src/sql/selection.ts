// Flattens a GraphQL selection set for one concrete object type: fragments and inline
// fragments applied, @skip/@include evaluated, fields with the same response key merged.
import {
  GraphQLObjectType, Kind, getDirectiveValues, GraphQLSkipDirective, GraphQLIncludeDirective,
  isAbstractType, type FieldNode, type FragmentDefinitionNode, type GraphQLSchema,
  type SelectionSetNode, type GraphQLField, typeFromAST, type NamedTypeNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';

export interface ExecContext {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

export interface CollectedField {
  key: string;
  name: string;
  nodes: FieldNode[];
  field: GraphQLField<unknown, unknown> | null;
}

function included(ctx: ExecContext, node: { directives?: readonly any[] }): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node as any, ctx.variables);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node as any, ctx.variables);
  return include?.if !== false;
}

function typeApplies(ctx: ExecContext, cond: NamedTypeNode | undefined, type: GraphQLObjectType): boolean {
  if (!cond) return true;
  const t = typeFromAST(ctx.schema, cond);
  if (!t) return false;
  if (t === type) return true;
  return isAbstractType(t) && ctx.schema.isSubType(t, type);
}

export function collectFields(
  ctx: ExecContext, type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[],
): CollectedField[] {
  const out = new Map<string, CollectedField>();
  const seenFragments = new Set<string>();
  const fields = type.getFields();
  const visit = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (!included(ctx, sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const existing = out.get(key);
        if (existing) existing.nodes.push(sel);
        else out.set(key, { key, name: sel.name.value, nodes: [sel], field: fields[sel.name.value] ?? null });
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (typeApplies(ctx, sel.typeCondition, type)) visit(sel.selectionSet);
      } else {
        const name = sel.name.value;
        if (seenFragments.has(name)) continue;
        seenFragments.add(name);
        const frag = ctx.fragments[name];
        if (frag && typeApplies(ctx, frag.typeCondition, type)) visit(frag.selectionSet);
      }
    }
  };
  for (const s of selectionSets) visit(s);
  return [...out.values()];
}

/** Sub-selections of a merged field. */
export function subSelections(f: CollectedField): SelectionSetNode[] {
  return f.nodes.map((n) => n.selectionSet).filter((s): s is SelectionSetNode => !!s);
}

export function argumentValues(ctx: ExecContext, f: CollectedField): Record<string, any> {
  if (!f.field) return {};
  return getArgumentValues(f.field, f.nodes[0], ctx.variables);
}
