// Subscriptions answer with query operations: a `listen` payload's `query`/`relatedNode` and a
// live query's selection are run as `query { … }` documents of their own.
import {
  Kind, visit, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode,
  type SelectionNode, type VariableDefinitionNode,
} from 'graphql';

/**
 * A query document with `selections`, carrying only the variables and fragments they use (so it
 * validates on its own). `extraVariables` are defined when the selections use them.
 */
export function standaloneQuery(
  op: OperationDefinitionNode, selections: readonly SelectionNode[],
  fragments: Record<string, FragmentDefinitionNode>, extraVariables: VariableDefinitionNode[] = [],
): DocumentNode {
  const usedVars = new Set<string>();
  const usedFragments = new Set<string>();
  const pending: Array<SelectionNode | FragmentDefinitionNode> = [...selections];
  while (pending.length) {
    visit(pending.pop()!, {
      Variable: (v) => { usedVars.add(v.name.value); },
      FragmentSpread: (s) => {
        if (!usedFragments.has(s.name.value) && fragments[s.name.value]) {
          usedFragments.add(s.name.value);
          pending.push(fragments[s.name.value]);
        }
      },
    });
  }
  const variableDefinitions = [...(op.variableDefinitions ?? []), ...extraVariables]
    .filter((d) => usedVars.has(d.variable.name.value));
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION, operation: 'query' as never, name: op.name, variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      // sorted, so equal selections print equal texts (live queries group by the text)
      ...[...usedFragments].sort().map((n) => fragments[n]),
    ],
  };
}
