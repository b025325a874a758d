// The names of `@graphile-contrib/pg-simplify-inflector` (v6), the inflector v4's docs recommend:
// `posts` instead of `allPosts`, `author` instead of `personByAuthorId`, `post(id)` for the
// primary key, `patch` in update inputs. Built in (no plugin is loaded); its options are v4's
// `graphileBuildOptions` of the same names.
import type { PgAttribute, PgClass, PgConstraint, PgProc } from '../introspection/model';
import * as defaultCase from './case';
import { columnBaseName, functionBaseName, makeInflection, singularizedTableNameOf, type CaseKit, type Inflection } from './inflection';

export interface SimplifyOptions {
  /** `pgOmitListSuffix`: lists lose `List`, connections gain `Connection` (default false). */
  omitListSuffix?: boolean;
  /** `pgSimplifyPatch`: the patch field of update inputs is `patch` (default true). */
  simplifyPatch?: boolean;
  /** `pgSimplifyAllRows`: `posts` rather than `allPosts` (default true). */
  simplifyAllRows?: boolean;
  /** `pgShortPk`: `post(id)`, `updatePost`, and `…ByNodeId` for node-id lookups (default true). */
  shortPk?: boolean;
  /** `pgSimplifyMultikeyRelations`: relations over several `…_id` columns are simplified too (default true). */
  simplifyMultikeyRelations?: boolean;
}

/** The plugin's option names as v4 users write them in `graphileBuildOptions`. */
export function simplifyOptionsFrom(graphileBuildOptions: Record<string, unknown>): SimplifyOptions {
  const flag = (key: string): boolean | undefined => {
    const v = graphileBuildOptions[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new Error(`graphileBuildOptions.${key} must be true or false, not ${JSON.stringify(v)}`);
    return v;
  };
  return {
    omitListSuffix: flag('pgOmitListSuffix'), simplifyPatch: flag('pgSimplifyPatch'), simplifyAllRows: flag('pgSimplifyAllRows'),
    shortPk: flag('pgShortPk'), simplifyMultikeyRelations: flag('pgSimplifyMultikeyRelations'),
  };
}

/** `table1s` must not become `Table1S`. */
const fixCapitalisedPlural = (fn: (s: string) => string) => (s: string) =>
  fn(s).replace(/[0-9]S(?=[A-Z]|$)/g, (m) => m.toLowerCase());

/** Pluralisation only understands single words: change only the last word of a name. */
const lastWordOnly = (fn: (s: string) => string) => (s: string) => {
  const word = s.match(/([A-Z]|_[a-z0-9])[a-z0-9]*_*$/);
  const index = word ? word.index! + word[1].length - 1 : 0;
  const suffixIndex = s.match(/_*$/)!.index!;
  return `${s.slice(0, index)}${fn(s.slice(index, suffixIndex))}${s.slice(suffixIndex)}`;
};

const simplifiedCase: CaseKit = {
  camelCase: fixCapitalisedPlural(defaultCase.camelCase),
  upperCamelCase: fixCapitalisedPlural(defaultCase.upperCamelCase),
  pluralize: lastWordOnly(defaultCase.pluralize),
  singularize: lastWordOnly(defaultCase.singularize),
};

const OPPOSITES: Record<string, string> = {
  parent: 'child', child: 'parent', author: 'authored', editor: 'edited', reviewer: 'reviewed',
};

type Tagged = { tags: Record<string, unknown>; name: string };

export function simplifyInflection(options: SimplifyOptions, classicIds = false): Inflection {
  const { omitListSuffix = false, simplifyPatch = true, simplifyAllRows = true, shortPk = true, simplifyMultikeyRelations = true } = options;
  const k = simplifiedCase;
  const { camelCase, upperCamelCase, pluralize, singularize } = k;
  // Fallbacks are the plain v4 names: the plugin calls the previous inflectors, with their casing.
  const base = makeInflection(undefined, { classicIds });
  const own = makeInflection(k, { classicIds });
  // The plugin names node-id lookups after the global id field: `id` with --classic-ids.
  const nodeIdField = classicIds ? 'id' : 'nodeId';
  const singular = (table: PgClass) => singularizedTableNameOf(table, k);

  const omitSuffix = (entity: Tagged, kind: string): boolean => {
    const tag = entity.tags.listSuffix;
    if (tag == null) return omitListSuffix;
    if (tag !== 'include' && tag !== 'omit') {
      throw new Error(`Unrecognized @listSuffix value "${String(tag)}" on ${kind} "${entity.name}". If @listSuffix is set, it must be "omit" or "include".`);
    }
    return tag === 'omit';
  };
  const connectionSuffix = (e: Tagged, kind: string) => (omitSuffix(e, kind) ? '-connection' : '');
  const ConnectionSuffix = (e: Tagged, kind: string) => (omitSuffix(e, kind) ? 'Connection' : '');
  const listSuffix = (e: Tagged, kind: string) => (omitSuffix(e, kind) ? '' : '-list');
  const ListSuffix = (e: Tagged, kind: string) => (omitSuffix(e, kind) ? '' : 'List');

  const distinctPluralize = (s: string): string => {
    const one = singularize(s);
    const many = pluralize(one);
    if (one !== many) return many;
    if (/(ch|s|sh|x|z)$/.test(many)) return `${many}es`;
    if (many.endsWith('y')) return `${many.slice(0, -1)}ies`;
    return `${many}s`;
  };
  const baseName = (column: string): string | null =>
    column.match(/^(.+?)(_row_id|_id|_uuid|_fk|_pk|RowId|Id|Uuid|UUID|Fk|Pk)$/)?.[1] ?? null;
  const baseNameMatches = (name: string | null, other: string) => name === singularize(other);
  const baseNameFromKeys = (keys: PgAttribute[]): string | null => {
    if (keys.length === 1) return baseName(columnBaseName(keys[0]));
    if (!simplifyMultikeyRelations) return null;
    const names = keys.map((key) => baseName(columnBaseName(key)));
    return names.every((n) => n) ? names.join('-') : null;
  };
  const manyBase = (keys: PgAttribute[], table: PgClass, foreign: PgClass | undefined): string | null => {
    const name = baseNameFromKeys(keys);
    const opposite = name ? OPPOSITES[name] : undefined;
    if (opposite) return camelCase(`${opposite}-${distinctPluralize(singular(table))}`);
    if (foreign && baseNameMatches(name, foreign.name)) return camelCase(distinctPluralize(singular(table)));
    return null;
  };
  const byKeys = (keys: PgAttribute[]) => keys.map(own.column).join('-and-');
  const tagString = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const isPk = (c: PgConstraint) => c.type === 'p';

  return {
    ...own,
    deletedNodeId: (table: PgClass) => camelCase(`deleted-${singularize(table.name)}-${nodeIdField}`),
    ...(simplifyPatch ? { patchField: () => 'patch' } : {}),
    ...(simplifyAllRows
      ? {
          allRows: (table: PgClass) => camelCase(distinctPluralize(singular(table)) + connectionSuffix(table, 'class')),
          allRowsSimple: (table: PgClass) => camelCase(distinctPluralize(singular(table)) + listSuffix(table, 'class')),
        }
      : {}),
    computedColumn: (pseudo: string, proc: PgProc) => {
      const tagged = tagString(proc.tags.fieldName);
      return tagged
        ? tagged + (proc.returnsSet ? ConnectionSuffix(proc, 'procedure') : '')
        : camelCase(pseudo + (proc.returnsSet ? connectionSuffix(proc, 'procedure') : ''));
    },
    computedColumnList: (pseudo: string, proc: PgProc) => {
      const tagged = tagString(proc.tags.fieldName);
      return tagged ? tagged + ListSuffix(proc, 'procedure') : camelCase(pseudo + listSuffix(proc, 'procedure'));
    },
    singleRelationByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint) => {
      const tagged = tagString(constraint.tags.fieldName);
      if (tagged) return tagged;
      const name = baseNameFromKeys(keys);
      return name ? camelCase(name) : base.singleRelationByKeys(keys, table, constraint);
    },
    singleRelationByKeysBackwards: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, foreign?: PgClass) => {
      const tagged = tagString(constraint.tags.foreignSingleFieldName) ?? tagString(constraint.tags.foreignFieldName);
      if (tagged) return tagged;
      const name = baseNameFromKeys(keys);
      const opposite = name ? OPPOSITES[name] : undefined;
      if (opposite) return camelCase(`${opposite}-${singular(table)}`);
      if (foreign && baseNameMatches(name, foreign.name)) return camelCase(singular(table));
      return base.singleRelationByKeysBackwards(keys, table, constraint);
    },
    manyRelationByKeys: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, foreign?: PgClass) => {
      const tagged = tagString(constraint.tags.foreignFieldName);
      if (tagged) return constraint.tags.foreignSimpleFieldName ? tagged : tagged + ConnectionSuffix(constraint, 'constraint');
      const name = manyBase(keys, table, foreign) ?? base.manyRelationByKeys(keys, table, constraint);
      return name + ConnectionSuffix(constraint, 'constraint');
    },
    manyRelationByKeysSimple: (keys: PgAttribute[], table: PgClass, constraint: PgConstraint, foreign?: PgClass) => {
      const simple = tagString(constraint.tags.foreignSimpleFieldName);
      if (simple) return simple;
      const tagged = tagString(constraint.tags.foreignFieldName);
      if (tagged) return tagged + ListSuffix(constraint, 'constraint');
      // The plugin's fallback is the connection's default name plus the suffix.
      const name = manyBase(keys, table, foreign) ?? base.manyRelationByKeys(keys, table, constraint);
      return name + ListSuffix(constraint, 'constraint');
    },
    functionQueryName: (proc: PgProc) =>
      camelCase(functionBaseName(proc) + (proc.returnsSet ? connectionSuffix(proc, 'procedure') : '')),
    functionQueryNameList: (proc: PgProc) => camelCase(functionBaseName(proc) + listSuffix(proc, 'procedure')),
    ...(shortPk
      ? {
          tableNode: (table: PgClass) => camelCase(`${singular(table)}-by-${nodeIdField}`),
          rowByUniqueKeys: (keys: PgAttribute[], table: PgClass, c: PgConstraint) =>
            tagString(c.tags.fieldName) ?? camelCase(isPk(c) ? singular(table) : `${singular(table)}-by-${byKeys(keys)}`),
          updateByKeys: (keys: PgAttribute[], table: PgClass, c: PgConstraint) =>
            tagString(c.tags.updateFieldName)
            ?? camelCase(isPk(c) ? `update-${singular(table)}` : `update-${singular(table)}-by-${byKeys(keys)}`),
          deleteByKeys: (keys: PgAttribute[], table: PgClass, c: PgConstraint) =>
            tagString(c.tags.deleteFieldName)
            ?? camelCase(isPk(c) ? `delete-${singular(table)}` : `delete-${singular(table)}-by-${byKeys(keys)}`),
          updateByKeysInputType: (keys: PgAttribute[], table: PgClass, c: PgConstraint) => {
            const tagged = tagString(c.tags.updateFieldName);
            if (tagged) return upperCamelCase(`${tagged}-input`);
            return upperCamelCase(isPk(c) ? `update-${singular(table)}-input` : `update-${singular(table)}-by-${byKeys(keys)}-input`);
          },
          deleteByKeysInputType: (keys: PgAttribute[], table: PgClass, c: PgConstraint) => {
            const tagged = tagString(c.tags.deleteFieldName);
            if (tagged) return upperCamelCase(`${tagged}-input`);
            return upperCamelCase(isPk(c) ? `delete-${singular(table)}-input` : `delete-${singular(table)}-by-${byKeys(keys)}-input`);
          },
          updateNode: (table: PgClass) => camelCase(`update-${singular(table)}-by-${nodeIdField}`),
          deleteNode: (table: PgClass) => camelCase(`delete-${singular(table)}-by-${nodeIdField}`),
          updateNodeInputType: (table: PgClass) => upperCamelCase(`update-${singular(table)}-by-${nodeIdField}-input`),
          deleteNodeInputType: (table: PgClass) => upperCamelCase(`delete-${singular(table)}-by-${nodeIdField}-input`),
        }
      : {}),
  };
}
