// What each generated GraphQL field means in database terms. The schema stage attaches one of
// these to every field (`field.extensions.forumDev`); the SQL stage reads them to compile a
// selection into one statement. Plain data, no behaviour.
import type { PgAttribute, PgClass, PgConstraint, PgProc, PgType } from '../introspection/model';

export interface ProcArg {
  name: string;
  type: PgType;
  /** False when the argument may be left out and the database default applies. */
  required: boolean;
  /** Which input of a table type it takes: `@argNvariant base|patch`, or `patch` for `…_patch` names. */
  variant?: 'base' | 'patch';
}

export type FieldPlan =
  | { kind: 'column'; attr: PgAttribute; type: PgType }
  | { kind: 'nodeId'; table: PgClass }
  | { kind: 'queryRoot' }
  | { kind: 'queryNodeId' }
  | { kind: 'node' }
  | { kind: 'rowByNodeId'; table: PgClass }
  | { kind: 'rowByKeys'; table: PgClass; keys: PgAttribute[] }
  | { kind: 'allRows'; table: PgClass; list: boolean }
  | { kind: 'forward'; table: PgClass; foreign: PgClass; keys: PgAttribute[]; foreignKeys: PgAttribute[] }
  | {
      kind: 'backward'; table: PgClass; foreign: PgClass; keys: PgAttribute[];
      foreignKeys: PgAttribute[]; single: boolean; list: boolean;
    }
  | {
      kind: 'proc'; proc: PgProc; args: ProcArg[]; returnType: PgType; returnsSet: boolean;
      /** computed column: the row is passed as the first argument */ computed: boolean;
      table: PgClass | null; record: PgClass | null; list: boolean;
    }
  | { kind: 'mutation'; mutation: MutationPlan }
  | { kind: 'payloadRow' }
  | { kind: 'payloadQuery' }
  | { kind: 'payloadClientMutationId' }
  | { kind: 'payloadDeletedNodeId'; table: PgClass }
  | { kind: 'payloadEdge'; table: PgClass }
  | { kind: 'payloadForward'; forward: FieldPlan & { kind: 'forward' } }
  | { kind: 'payloadResult'; returnType: PgType; returnsSet: boolean };

export type MutationPlan =
  | { kind: 'create'; table: PgClass; inputField: string }
  | { kind: 'update' | 'delete'; table: PgClass; by: 'nodeId' | PgAttribute[]; patchField: string }
  | { kind: 'proc'; proc: PgProc; args: ProcArg[]; returnType: PgType; returnsSet: boolean; record: PgClass | null };

export type ConnectionPlan = {
  /** the pg type of each node (a table's row type, or a scalar for scalar functions) */
  nodeType: PgType;
  table: PgClass | null;
};

export interface TypePlan {
  kind: 'row' | 'connection' | 'edge' | 'pageInfo' | 'payload' | 'composite' | 'interval' | 'point' | 'range' | 'rangeBound' | 'enum' | 'jwt';
  table?: PgClass;
  type?: PgType;
  connection?: ConnectionPlan;
}

/** A table whose rows are nodes: what its node ids start with, and its GraphQL row type. */
export interface NodeType {
  alias: string;
  table: PgClass;
  typeName: string;
}

/**
 * The names the schema decided that the SQL stage needs, recorded once per schema on
 * `schema.extensions.forumDev`, so SQL reads them instead of inflecting again.
 */
export interface SchemaPlan {
  /** The global id's field and argument name: `nodeId`, or `id` with v4's `--classic-ids`. */
  nodeIdField: string;
  /**
   * v4 with subscriptions reads each row's primary key beside it, so a connection's row with
   * a key is never taken for a null row (see connectionRowObject).
   */
  rowIdentifiers: boolean;
  /** Geometric types are objects (v4's `pgGeometricTypes`), not strings. */
  geometricTypes: boolean;
  /** Node alias (the first element of a node id) → its table and row type. */
  nodeByAlias: Map<string, NodeType>;
  /** A table's node alias by class id; it also names the collection in mutation errors. */
  aliasByClassId: Map<string, string>;
  /** Enum type id → Postgres label → GraphQL value name (enum values hold the label). */
  enumNames: Map<string, Map<string, string>>;
  /** Class id → the GraphQL input object type that writes a whole value of it. */
  inputTypeByClassId: Map<string, string>;
  /** Class id → column name → the field of that input type that carries it (after the build). */
  inputFieldsByClassId: Map<string, Map<string, string>>;
  /** What the build left out and why (v4 logs these as recoverable errors and goes on). */
  warnings: string[];
}

/** What an input object field writes: `PersonInput.fullName` → the `full_name` column. */
export interface InputFieldPlan {
  attr: PgAttribute;
  type: PgType;
}

export interface OrderByValue {
  /** Column expressions with direction; empty for NATURAL. */
  specs: Array<{ attr?: PgAttribute; proc?: PgProc; ascending: boolean; nullsFirst?: boolean }>;
  /** true for PRIMARY_KEY_ASC/DESC: ties are already unique. */
  unique: boolean;
  /** Name used in cursors, e.g. "primary_key_asc" or "natural". */
  cursorName: string;
}

/**
 * What a field of a connection-filter input type filters on (`extensions.forumDev`): a column,
 * a computed column, a related table (`table` joined on `keys` = the row's `rowKeys`), or logic.
 */
export type FilterFieldPlan =
  | { kind: 'filterColumn'; attr: PgAttribute; type: PgType }
  | { kind: 'filterComputed'; proc: PgProc; type: PgType }
  | { kind: 'filterRelation' | 'filterExists' | 'filterMany'; table: PgClass; keys: PgAttribute[]; rowKeys: PgAttribute[] }
  | { kind: 'filterQuantifier'; quantifier: 'every' | 'some' | 'none' }
  | { kind: 'filterLogical'; op: 'and' | 'or' | 'not' }
  /** `operator` is family-qualified, e.g. `standard.equalTo`, `pattern.includes`, `array.anyEqualTo`. */
  | { kind: 'filterOperator'; operator: string };

/** The `filter` argument (`extensions.forumDev`): v4's refusals, and a scalar set's value type. */
export interface FilterArgPlan {
  allowNullInput: boolean;
  allowEmptyObjectInput: boolean;
  /** Set for a set of scalars: the filter's operators apply to the value itself. */
  valueType?: PgType;
}

export interface ConditionField {
  attr: PgAttribute;
  type: PgType;
}

export type { PgAttribute, PgClass, PgConstraint, PgProc, PgType };
