// The OIDs of the built-in PostgreSQL types the stages treat specially (fixed in pg_type.dat;
// `PgType.id` holds them as strings).
export const OID = {
  bool: '16',
  char: '18',
  name: '19',
  int8: '20',
  int2: '21',
  int4: '23',
  oid: '26',
  regproc: '24',
  text: '25',
  json: '114',
  point: '600',
  cidr: '650',
  float4: '700',
  float8: '701',
  macaddr8: '774',
  money: '790',
  macaddr: '829',
  inet: '869',
  bpchar: '1042',
  varchar: '1043',
  date: '1082',
  time: '1083',
  timestamp: '1114',
  timestamptz: '1184',
  interval: '1186',
  timetz: '1266',
  bit: '1560',
  varbit: '1562',
  numeric: '1700',
  regprocedure: '2202',
  regoper: '2203',
  regoperator: '2204',
  regclass: '2205',
  regtype: '2206',
  /** `record`: functions returning it (with OUT parameters) get a record type of their own. */
  record: '2249',
  void: '2278',
  uuid: '2950',
  regconfig: '3734',
  regdictionary: '3769',
  jsonb: '3802',
  regnamespace: '4089',
  regrole: '4096',
} as const;

/** The geometric types v4 maps to objects with `pgGeometricTypes` (point always is one). */
export const GEOMETRY_OID = { lseg: '601', path: '602', box: '603', polygon: '604', line: '628', circle: '718' } as const;

export const isJsonOid = (id: string) => id === OID.json || id === OID.jsonb;
