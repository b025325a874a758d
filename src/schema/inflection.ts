// PostGraphile v4's default inflection: how database names become GraphQL names. Smart
// comments (`@name`, `@fieldName`, `@foreignFieldName`, …) override as they do in v4. The
// inflection is made from a casing kit, because a variant (the simplify inflector) changes the
// casing and pluralisation every name goes through, not only the names it overrides.
import type { PgAttribute, PgClass, PgConstraint, PgProc, PgType } from '../introspection/model';
import { OID } from '../introspection/oids';
import * as defaultCase from './case';
import { coerceToGraphQLName, constantCase } from './case';

/** The word functions every inflector uses. */
export interface CaseKit {
  camelCase(s: string): string;
  upperCamelCase(s: string): string;
  pluralize(s: string): string;
  singularize(s: string): string;
}

const tagString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A composite's `@name` on its type is already on the class (see introspection). */
function tableName(table: PgClass): string {
  return coerceToGraphQLName(tagString(table.tags.name) ?? table.name);
}

export function singularizedTableNameOf(table: PgClass, k: CaseKit = defaultCase): string {
  return k.singularize(tableName(table)).replace(
    /.(?:(?:[_-]i|I)nput|(?:[_-]p|P)atch)$/,
    '$&_record',
  );
}

export const functionBaseName = (proc: PgProc) =>
  coerceToGraphQLName(tagString(proc.tags.name) ?? proc.name);
const typeBaseName = (type: PgType) => coerceToGraphQLName(tagString(type.tags.name) ?? type.name);
export const columnBaseName = (attr: PgAttribute) =>
  coerceToGraphQLName(tagString(attr.tags.name) ?? attr.name);

/**
 * The v4 inflection over the casing kit `k`. `classicIds` (v4's `--classic-ids`) renames a
 * column called `id` to `rowId` everywhere but in orderBy values, as v4 does.
 */
export function makeInflection(k: CaseKit = defaultCase, opts: { classicIds?: boolean } = {}) {
  const { camelCase, upperCamelCase, pluralize, singularize } = k;
  const columnName = (attr: PgAttribute) => {
    const name = columnBaseName(attr);
    return opts.classicIds && name === 'id' ? 'rowId' : name;
  };
  // Every table name is asked for dozens of times per build: work it out once per table.
  const singularNames = new WeakMap<PgClass, string>();
  const singularizedTableName = (table: PgClass): string => {
    let name = singularNames.get(table);
    if (name === undefined) singularNames.set(table, (name = singularizedTableNameOf(table, k)));
    return name;
  };
  const inflect = {
    conditionType: (typeName: string) => upperCamelCase(`${typeName}-condition`),
    inputType: (typeName: string) => upperCamelCase(`${typeName}-input`),
    rangeBoundType: (typeName: string) => upperCamelCase(`${typeName}-range-bound`),
    rangeType: (typeName: string) => upperCamelCase(`${typeName}-range`),
    patchType: (typeName: string) => upperCamelCase(`${typeName}-patch`),
    baseInputType: (typeName: string) => upperCamelCase(`${typeName}-base-input`),
    patchField: (itemName: string) => camelCase(`${itemName}-patch`),
    orderByType: (typeName: string) => upperCamelCase(`${pluralize(typeName)}-order-by`),
    edge: (typeName: string) => upperCamelCase(`${pluralize(typeName)}-edge`),
    connection: (typeName: string) => upperCamelCase(`${pluralize(typeName)}-connection`),

    enumType: (type: PgType) => tagString(type.tags.enumName) ?? upperCamelCase(typeBaseName(type)),
    domainType: (type: PgType) => upperCamelCase(typeBaseName(type)),
    argument: (name: string | undefined, index: number) =>
      coerceToGraphQLName(camelCase(name || `arg${index}`)),
    orderByEnum: (columnName: string, ascending: boolean) =>
      constantCase(`${columnName}_${ascending ? 'asc' : 'desc'}`),
    orderByColumnEnum: (attr: PgAttribute, ascending: boolean) =>
      constantCase(`${columnBaseName(attr)}_${ascending ? 'asc' : 'desc'}`),
    enumName(value: string): string {
      if (value === '') return '_EMPTY_';
      const v = value
        .replace(/\*/g, '_ASTERISK_')
        .replace(/^(_?)_+ASTERISK/, '$1ASTERISK')
        .replace(/ASTERISK_(_?)_*$/, 'ASTERISK$1');
      return ENUM_SYMBOLS[v] ?? v;
    },
    /** The GraphQL enum value name for a database enum label (v4 constant-cases it). */
    enumValue: (label: string) => constantCase(inflect.enumName(label)),

    /** The first element of a table's node ids: v4 pluralizes the table's own name, tags aside
     * (with the plain pluralize, whatever the inflector). */
    nodeAlias: (table: PgClass) => defaultCase.pluralize(table.name),
    tableType: (table: PgClass) => upperCamelCase(singularizedTableName(table)),
    tableFieldName: (table: PgClass) => camelCase(singularizedTableName(table)),
    /** The root field that reads one row by its `nodeId`. */
    tableNode: (table: PgClass) => camelCase(singularizedTableName(table)),
    allRows: (table: PgClass) => camelCase(`all-${pluralize(singularizedTableName(table))}`),
    allRowsSimple: (table: PgClass) =>
      camelCase(`all-${pluralize(singularizedTableName(table))}-list`),
    column: (attr: PgAttribute) => camelCase(columnName(attr)),
    computedColumn: (pseudoColumnName: string, proc: PgProc) =>
      tagString(proc.tags.fieldName) ?? camelCase(pseudoColumnName),
    computedColumnList: (pseudoColumnName: string, proc: PgProc) =>
      tagString(proc.tags.fieldName)
        ? `${proc.tags.fieldName}List`
        : camelCase(`${pseudoColumnName}-list`),

    singleRelationByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.fieldName) ??
      camelCase(`${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}`),
    singleRelationByKeysBackwards: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, _foreign?: PgClass) =>
      tagString(constraint.tags.foreignSingleFieldName) ??
      tagString(constraint.tags.foreignFieldName) ??
      camelCase(`${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}`),
    manyRelationByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, _foreign?: PgClass) =>
      tagString(constraint.tags.foreignFieldName) ??
      camelCase(
        `${pluralize(singularizedTableName(table))}-by-${keys.map(inflect.column).join('-and-')}`,
      ),
    manyRelationByKeysSimple: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, _foreign?: PgClass) =>
      tagString(constraint.tags.foreignSimpleFieldName) ??
      tagString(constraint.tags.foreignFieldName) ??
      camelCase(
        `${pluralize(singularizedTableName(table))}-by-${keys.map(inflect.column).join('-and-')}-list`,
      ),
    rowByUniqueKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.fieldName) ??
      camelCase(`${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}`),
    updateByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.updateFieldName) ??
      camelCase(`update-${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}`),
    deleteByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.deleteFieldName) ??
      camelCase(`delete-${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}`),
    updateByKeysInputType: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.updateFieldName)
        ? upperCamelCase(`${constraint.tags.updateFieldName}-input`)
        : upperCamelCase(
            `update-${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}-input`,
          ),
    deleteByKeysInputType: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) =>
      tagString(constraint.tags.deleteFieldName)
        ? upperCamelCase(`${constraint.tags.deleteFieldName}-input`)
        : upperCamelCase(
            `delete-${singularizedTableName(table)}-by-${keys.map(inflect.column).join('-and-')}-input`,
          ),
    updateNode: (table: PgClass) => camelCase(`update-${singularizedTableName(table)}`),
    deleteNode: (table: PgClass) => camelCase(`delete-${singularizedTableName(table)}`),
    deletedNodeId: (table: PgClass) => camelCase(`deleted-${singularize(table.name)}-id`),
    updateNodeInputType: (table: PgClass) =>
      upperCamelCase(`update-${singularizedTableName(table)}-input`),
    deleteNodeInputType: (table: PgClass) =>
      upperCamelCase(`delete-${singularizedTableName(table)}-input`),
    edgeField: (table: PgClass) => camelCase(`${singularizedTableName(table)}-edge`),
    createField: (table: PgClass) => camelCase(`create-${singularizedTableName(table)}`),
    createInputType: (table: PgClass) =>
      upperCamelCase(`create-${singularizedTableName(table)}-input`),
    createPayloadType: (table: PgClass) =>
      upperCamelCase(`create-${singularizedTableName(table)}-payload`),
    updatePayloadType: (table: PgClass) =>
      upperCamelCase(`update-${singularizedTableName(table)}-payload`),
    deletePayloadType: (table: PgClass) =>
      upperCamelCase(`delete-${singularizedTableName(table)}-payload`),

    functionQueryName: (proc: PgProc) => camelCase(functionBaseName(proc)),
    functionQueryNameList: (proc: PgProc) => camelCase(`${functionBaseName(proc)}-list`),
    functionMutationName: (proc: PgProc) => camelCase(functionBaseName(proc)),
    functionPayloadType: (proc: PgProc) => upperCamelCase(`${functionBaseName(proc)}-payload`),
    functionInputType: (proc: PgProc) => upperCamelCase(`${functionBaseName(proc)}-input`),
    recordFunctionReturnType: (proc: PgProc) =>
      tagString(proc.tags.resultTypeName) ?? upperCamelCase(`${functionBaseName(proc)}-record`),
    recordFunctionConnection: (proc: PgProc) =>
      upperCamelCase(`${functionBaseName(proc)}-connection`),
    recordFunctionEdge: (proc: PgProc) =>
      upperCamelCase(`${singularize(functionBaseName(proc))}-edge`),
    scalarFunctionConnection: (proc: PgProc) =>
      upperCamelCase(`${functionBaseName(proc)}-connection`),
    scalarFunctionEdge: (proc: PgProc) =>
      upperCamelCase(`${singularize(functionBaseName(proc))}-edge`),
    functionMutationResultFieldName(
      proc: PgProc, gqlTypeName: string, plural: boolean, outputArgNames: string[],
    ): string {
      const tagged = tagString(proc.tags.resultFieldName);
      if (tagged) return tagged;
      let name: string;
      if (outputArgNames.length === 1 && outputArgNames[0] !== '') name = camelCase(outputArgNames[0]);
      else if (gqlTypeName === 'Int') name = 'integer';
      else if (gqlTypeName === 'Float') name = 'float';
      else if (gqlTypeName === 'Boolean') name = 'boolean';
      else if (gqlTypeName === 'String') name = 'string';
      else if (proc.returnTypeId === OID.record) name = 'result';
      else name = camelCase(gqlTypeName);
      return plural ? pluralize(name) : name;
    },
    functionOutputFieldName: (outputArgName: string, index: number) =>
      inflect.argument(outputArgName, index),
  };
  return inflect;
}

export type Inflection = ReturnType<typeof makeInflection>;

/** v4's default inflection. */
export const inflect: Inflection = makeInflection();

const ENUM_SYMBOLS: Record<string, string> = {
  '>': 'GREATER_THAN', '>=': 'GREATER_THAN_OR_EQUAL', '=': 'EQUAL', '!=': 'NOT_EQUAL',
  '<>': 'DIFFERENT', '<=': 'LESS_THAN_OR_EQUAL', '<': 'LESS_THAN', '~~': 'LIKE', '~~*': 'ILIKE',
  '!~~': 'NOT_LIKE', '!~~*': 'NOT_ILIKE', '~': 'TILDE', '~*': 'TILDE_ASTERISK', '!~': 'NOT_TILDE',
  '!~*': 'NOT_TILDE_ASTERISK', '%': 'PERCENT', '+': 'PLUS', '-': 'MINUS', '/': 'SLASH',
  '\\': 'BACKSLASH', _: 'UNDERSCORE', '#': 'POUND', '£': 'STERLING', $: 'DOLLAR', '&': 'AMPERSAND',
  '@': 'AT', "'": 'APOSTROPHE', '"': 'QUOTE', '`': 'BACKTICK', ':': 'COLON', ';': 'SEMICOLON',
  '!': 'EXCLAMATION_POINT', '?': 'QUESTION_MARK', ',': 'COMMA', '.': 'DOT', '^': 'CARET',
  '|': 'BAR', '[': 'OPEN_BRACKET', ']': 'CLOSE_BRACKET', '(': 'OPEN_PARENTHESIS',
  ')': 'CLOSE_PARENTHESIS', '{': 'OPEN_BRACE', '}': 'CLOSE_BRACE',
};
