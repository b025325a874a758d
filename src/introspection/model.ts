// A plain, typed model of the database as the catalog describes it. Nothing here knows about
// GraphQL: the schema stage reads this and decides names and shapes.

export type Tags = Record<string, string | true | Array<string | true>>;

export interface PgNamespace {
  id: string;
  name: string;
  description: string | null;
}

export interface PgClass {
  id: string;
  name: string;
  namespaceId: string;
  namespaceName: string;
  /** r table, v view, m materialized view, c composite type, f foreign table, p partitioned */
  classKind: string;
  description: string | null;
  tags: Tags;
  typeId: string;
  isSelectable: boolean;
  isInsertable: boolean;
  isUpdatable: boolean;
  isDeletable: boolean;
  aclSelectable: boolean;
  aclInsertable: boolean;
  aclUpdatable: boolean;
  aclDeletable: boolean;
  /** Filled in by indexModel: attributes ordered by attnum. */
  attributes: PgAttribute[];
  constraints: PgConstraint[];
  primaryKey: PgConstraint | null;
}

export interface PgAttribute {
  classId: string;
  num: number;
  name: string;
  description: string | null;
  tags: Tags;
  typeId: string;
  typeModifier: number | null;
  isNotNull: boolean;
  hasDefault: boolean;
  identity: string;
  generated: string;
  aclSelectable: boolean;
  aclInsertable: boolean;
  aclUpdatable: boolean;
  /** The first column of a (non-partial) index: v4's `--no-ignore-indexes` filters and orders by it. */
  isIndexed?: boolean;
}

export interface PgType {
  id: string;
  name: string;
  description: string | null;
  tags: Tags;
  namespaceId: string;
  namespaceName: string;
  /** b base, c composite, d domain, e enum, p pseudo, r range, m multirange */
  type: string;
  category: string;
  domainIsNotNull: boolean;
  /** A domain with a DEFAULT: a NOT NULL domain column may then be left out of inputs. */
  domainHasDefault?: boolean;
  arrayItemTypeId: string | null;
  isPgArray: boolean;
  classId: string | null;
  domainBaseTypeId: string | null;
  domainTypeModifier: number | null;
  enumVariants: string[] | null;
  enumDescriptions?: Array<string | null>;
  /** A domain standing for an enum table's enum type (`@enum <name>`, `<name>_enum_domain`). */
  enumTypeId?: string;
  rangeSubTypeId: string | null;
}

export interface PgConstraint {
  id: string;
  name: string;
  /** p primary key, u unique, f foreign key (real or from smart comments) */
  type: string;
  classId: string;
  foreignClassId: string | null;
  description: string | null;
  tags: Tags;
  keyAttributeNums: number[];
  foreignKeyAttributeNums: number[] | null;
  /** True for keys declared by `@primaryKey`/`@unique`/`@foreignKey` smart comments. */
  isFake: boolean;
  /** A foreign key whose columns lead an index (smart ones count as indexed, as in v4). */
  isIndexed?: boolean;
}

export interface PgProc {
  id: string;
  name: string;
  description: string | null;
  tags: Tags;
  namespaceId: string;
  namespaceName: string;
  isStrict: boolean;
  returnsSet: boolean;
  isStable: boolean;
  returnTypeId: string;
  argTypeIds: string[];
  argModes: string[];
  argNames: string[];
  inputArgsCount: number;
  argDefaultsNum: number;
  aclExecutable: boolean;
  securityDefiner: boolean;
  language: string;
}

export interface PgExtension {
  id: string;
  name: string;
  namespaceId: string;
  version: string;
}

export interface Model {
  serverVersionNum: number;
  /** Exposed namespaces, in the order the user listed them. */
  namespaces: PgNamespace[];
  classes: PgClass[];
  types: PgType[];
  procs: PgProc[];
  extensions: PgExtension[];
  classById: Map<string, PgClass>;
  typeById: Map<string, PgType>;
  /** Hash of the raw catalog answer and the tags file's rules: equal hashes mean an equal model. */
  hash: string;
  /** Smart tags rules that matched nothing (probably a typo in the tags file). */
  warnings?: string[];
  /**
   * The catalog's column entries by their table's `attributesKey` (see query.ts): the next
   * introspection asks only for the columns of tables whose key is not among these.
   */
  columnRows?: ReadonlyMap<string, readonly unknown[]>;
}

export function attributeByNum(cls: PgClass, num: number): PgAttribute {
  const att = cls.attributes.find((a) => a.num === num);
  if (!att) throw new Error(`Column number ${num} not found on ${cls.namespaceName}.${cls.name}`);
  return att;
}

/** v4's one-letter `@omit :CRUD` abbreviations. */
const OMIT_ALIASES: Record<string, string> = {
  C: 'create', R: 'read', U: 'update', D: 'delete', F: 'filter', O: 'order', A: 'all', M: 'many', X: 'execute', B: 'base',
};

/** The actions an `@omit` tag lists (`*` for a bare `@omit`), aliases spelled out. */
export function omitActions(tags: Tags): string[] {
  const omit = tags.omit;
  if (omit === undefined) return [];
  return (Array.isArray(omit) ? omit : [omit]).flatMap((o) => {
    if (o === true || o === '*') return ['*'];
    if (o.startsWith(':')) return o.slice(1).split('').map((letter) => OMIT_ALIASES[letter] ?? `:${letter}`);
    return o.split(',').map((x) => x.trim());
  });
}
