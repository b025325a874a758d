// The options of the built-in connection filter (`--append-plugins
// postgraphile-plugin-connection-filter`), read from v4's `graphileBuildOptions` under the names
// v4 users already write there, with that plugin's defaults.

export interface FilterOptions {
  /** Only these operators (canonical names) are offered. */
  allowedOperators?: string[];
  /** Only fields of these GraphQL types can be filtered on. */
  allowedFieldTypes?: string[];
  arrays: boolean;
  computedColumns: boolean;
  /** Renamed operators: canonical name → the name clients use. */
  operatorNames: Record<string, string>;
  relations: boolean;
  setofFunctions: boolean;
  logicalOperators: boolean;
  allowNullInput: boolean;
  allowEmptyObjectInput: boolean;
  /** Name to-many relation filters after the list fields (`connectionFilterUseListInflectors`). */
  useListInflectors?: boolean;
  /** `pgOmitListSuffix`, which changes that default's advice only. */
  omitListSuffix?: boolean;
}

export const CONNECTION_FILTER = 'postgraphile-plugin-connection-filter';

function optionError(key: string, want: string, v: unknown): Error {
  return new Error(`graphileBuildOptions.${key} must be ${want}, not ${JSON.stringify(v)}`);
}

export function filterOptionsFrom(gbo: Record<string, unknown>): FilterOptions {
  const flag = (key: string, fallback: boolean): boolean => {
    const v = gbo[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw optionError(key, 'true or false', v);
    return v;
  };
  const names = (key: string): string[] | undefined => {
    const v = gbo[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw optionError(key, 'a list of names', v);
    return v as string[];
  };
  const renames = gbo.connectionFilterOperatorNames ?? {};
  if (typeof renames !== 'object' || renames === null || Array.isArray(renames)
    || Object.values(renames).some((x) => typeof x !== 'string')) {
    throw optionError('connectionFilterOperatorNames', 'an object of operator names, e.g. { equalTo: "eq" }', renames);
  }
  const useList = gbo.connectionFilterUseListInflectors;
  return {
    allowedOperators: names('connectionFilterAllowedOperators'),
    allowedFieldTypes: names('connectionFilterAllowedFieldTypes'),
    arrays: flag('connectionFilterArrays', true),
    computedColumns: flag('connectionFilterComputedColumns', true),
    operatorNames: renames as Record<string, string>,
    relations: flag('connectionFilterRelations', false),
    setofFunctions: flag('connectionFilterSetofFunctions', true),
    logicalOperators: flag('connectionFilterLogicalOperators', true),
    allowNullInput: flag('connectionFilterAllowNullInput', false),
    allowEmptyObjectInput: flag('connectionFilterAllowEmptyObjectInput', false),
    useListInflectors: useList === undefined ? undefined : flag('connectionFilterUseListInflectors', false),
    omitListSuffix: gbo.pgOmitListSuffix === true,
  };
}
