// PostGraphile v4's options that change the schema beyond the basics, under v4's names: the
// postgraphile-core options (`classicIds`, `ignoreIndexes`, ...) and the `graphileBuildOptions`
// v4 documents (`pgStrictFunctions`, `orderByNullsLast`, ...). Defaults are v4's.

export type LegacyRelations = 'omit' | 'deprecated' | 'only';
const LEGACY_RELATIONS: readonly LegacyRelations[] = ['omit', 'deprecated', 'only'];

export interface V4SchemaOptions {
  /** The global id field is `id` (not `nodeId`); a column named `id` becomes `rowId`. */
  classicIds?: boolean;
  /** false: no condition/orderBy on columns that lead no index, no relations over unindexed foreign keys. */
  ignoreIndexes?: boolean;
  /** Tables and functions that belong to extensions are exposed too. */
  includeExtensionResources?: boolean;
  /** Partitioned tables are exposed instead of their partitions. */
  usePartitionedParent?: boolean;
  /** The connection that one-to-one backward relations also had before v4 detected them. */
  legacyRelations?: LegacyRelations;
  /** v3's scalar names `Json` and `Uuid`. */
  legacyJsonUuid?: boolean;
  /** false: comments are descriptions only; their `@tags` are not read. */
  enableTags?: boolean;
  /** `graphileBuildOptions`: cidr, macaddr and macaddr8 as scalars of their own (else `String`). */
  pgUseCustomNetworkScalars?: boolean;
  /** `graphileBuildOptions`: true sorts nulls last, false first, whatever the direction. */
  orderByNullsLast?: boolean;
  /** `graphileBuildOptions`: arguments without defaults are required for every function, not only STRICT ones. */
  pgStrictFunctions?: boolean;
  /** `graphileBuildOptions`: line, lseg, box, path, polygon and circle as objects of `Point`s. */
  pgGeometricTypes?: boolean;
}

export const defaultV4SchemaOptions = {
  classicIds: false,
  ignoreIndexes: true,
  includeExtensionResources: false,
  usePartitionedParent: false,
  legacyRelations: 'deprecated' as LegacyRelations,
  legacyJsonUuid: false,
  enableTags: true,
};

/** `graphileBuildOptions` keys that change the schema, and each one's check. */
const toggles = ['pgUseCustomNetworkScalars', 'orderByNullsLast', 'pgStrictFunctions', 'pgGeometricTypes'] as const;

/** The schema toggles in v4's `graphileBuildOptions`; a malformed one throws, naming it. */
export function buildOptionToggles(graphileBuildOptions: Record<string, unknown>): Pick<V4SchemaOptions, typeof toggles[number]> {
  const out: Pick<V4SchemaOptions, typeof toggles[number]> = {};
  for (const key of toggles) {
    const v = graphileBuildOptions[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new Error(`graphileBuildOptions.${key} must be true or false, not ${JSON.stringify(v)}`);
    out[key] = v;
  }
  return out;
}

/** Checks the library's `legacyRelations` as v4 does. */
export function checkLegacyRelations(value: unknown, where: string): LegacyRelations {
  if (!LEGACY_RELATIONS.includes(value as LegacyRelations)) {
    throw new Error(`${where}: legacyRelations must be 'omit', 'deprecated' or 'only', not ${JSON.stringify(value)}`);
  }
  return value as LegacyRelations;
}
