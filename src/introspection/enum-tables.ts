// Enum tables, as v4 (4.8+) reads them: a table or view tagged `@enum` whose primary key values
// become the variants of an enum type (the table itself is then hidden), or a single-column unique
// key tagged `@enum` (the table stays). Rows are described by the `description` column or the one
// tagged `@enumDescription`. Columns referencing such a key, and domains tagged `@enum <name>` or
// named `<name>_enum_domain`, take the enum type. Needs the tables' rows: one more round trip,
// made only when such tables exist.
import type { ClientBase, Pool } from 'pg';
import type { Model, PgClass, PgConstraint, PgType } from './model';
import { OID } from './oids';

// v4 reads only text-like columns of an enum table (text, varchar, "char", char)
const TEXT_TYPE_IDS = new Set<string>([OID.text, OID.varchar, OID.char, OID.bpchar]);

const isEnumTag = (v: unknown) => v === true || typeof v === 'string';
const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;

function enumKeys(cls: PgClass): PgConstraint[] {
  const isEnumTable = isEnumTag(cls.tags.enum);
  return cls.constraints.filter((con) => {
    if (con.type !== 'p' && con.type !== 'u') return false;
    if (!isEnumTag(con.tags.enum) && !(con.type === 'p' && isEnumTable)) return false;
    if (con.keyAttributeNums.length !== 1) {
      throw new Error(`Enum table "${cls.namespaceName}"."${cls.name}": the enum key '${con.name}' has ${con.keyAttributeNums.length} columns; an enum key must be a single column.`);
    }
    return true;
  });
}

export async function addEnumTables(db: Pool | ClientBase, model: Model, schemas: string[]): Promise<void> {
  const tables = model.classes
    .filter((c) => schemas.includes(c.namespaceName))
    .map((cls) => ({ cls, keys: enumKeys(cls) }))
    .filter((t) => t.keys.length || isEnumTag(t.cls.tags.enum));
  if (tables.length) await loadEnumTables(db, model, tables);
  linkEnumDomains(model);
}

async function loadEnumTables(db: Pool | ClientBase, model: Model, tables: Array<{ cls: PgClass; keys: PgConstraint[] }>): Promise<void> {
  const columnsOf = (cls: PgClass) => cls.attributes.filter((a) => TEXT_TYPE_IDS.has(a.typeId));
  // no ORDER BY: variants keep the table's own row order, as v4 reads them
  const parts = tables.map(({ cls }, i) => {
    const cols = columnsOf(cls).map((a) => quote(a.name));
    const row = cols.length ? `json_build_array(${cols.join(', ')})` : `'[]'::json`;
    return `select ${i} as i, coalesce(json_agg(${row}), '[]') as rows from ${quote(cls.namespaceName)}.${quote(cls.name)}`;
  });
  const rows = await db.query(parts.join(' union all ')).then((r) => r.rows, (err: Error) => {
    throw new Error(`Introspection could not read the rows of the enum tables ${tables.map(({ cls }) => `"${cls.namespaceName}"."${cls.name}"`).join(', ')}: `
      + `${err.message}. Grant the connecting role USAGE on their schema and SELECT on them.`);
  });
  const dataOf = new Map<number, Array<Array<string | null>>>(rows.map((r) => [Number(r.i), r.rows]));

  tables.forEach(({ cls, keys }, i) => {
    if (isEnumTag(cls.tags.enum)) cls.tags.omit = true;
    const cols = columnsOf(cls);
    const data = dataOf.get(i) ?? [];
    const descIndex = cols.findIndex((a) => a.name === 'description' || a.tags.enumDescription !== undefined);
    for (const key of keys) {
      const colIndex = cols.findIndex((a) => a.num === key.keyAttributeNums[0]);
      const col = cls.attributes.find((a) => a.num === key.keyAttributeNums[0])!;
      const present = colIndex < 0 ? [] : data.filter((r) => r[colIndex] != null);
      if (!present.length) {
        throw new Error(`Enum table "${cls.namespaceName}"."${cls.name}" has no visible rows for its enum key '${key.name}' (a text column is needed). Add at least one row, and check that row-level security lets this role see them.`);
      }
      const suffix = key.type === 'p' ? '' : `_${key.name}`;
      const type: PgType = {
        id: `enum:${cls.namespaceName}.${cls.name}${suffix}`, name: `${cls.name}${suffix}`,
        description: cls.description, tags: { ...cls.tags, ...key.tags },
        namespaceId: cls.namespaceId, namespaceName: cls.namespaceName,
        type: 'e', category: 'E', domainIsNotNull: false, arrayItemTypeId: null, isPgArray: false, classId: null,
        // the key column's real type, for casts
        domainBaseTypeId: col.typeId, domainTypeModifier: null,
        enumVariants: present.map((r) => r[colIndex] as string),
        enumDescriptions: descIndex < 0 ? undefined : present.map((r) => r[descIndex]),
        rangeSubTypeId: null,
      };
      model.types.push(type);
      model.typeById.set(type.id, type);
      for (const other of model.classes) {
        for (const con of other.constraints) {
          if (con.type !== 'f' || con.foreignClassId !== cls.id || con.foreignKeyAttributeNums?.length !== 1
            || con.foreignKeyAttributeNums[0] !== col.num) continue;
          const att = other.attributes.find((a) => a.num === con.keyAttributeNums[0]);
          if (att) att.typeId = type.id;
        }
      }
    }
  });
}

/** Domains standing for an enum table's enum: `@enum <enum type name>` or `<name>_enum_domain`. */
function linkEnumDomains(model: Model): void {
  for (const domain of model.types) {
    if (domain.type !== 'd') continue;
    const tagged = typeof domain.tags.enum === 'string' ? domain.tags.enum : null;
    const name = tagged ?? (domain.name.endsWith('_enum_domain') ? domain.name.slice(0, -'_enum_domain'.length) : null);
    if (name === null) continue;
    const target = model.typeById.get(`enum:${domain.namespaceName}.${name}`);
    if (target) domain.enumTypeId = target.id;
    else if (tagged) {
      throw new Error(`The domain ${domain.namespaceName}.${domain.name} says '@enum ${tagged}', but no enum table or enum key named ${tagged} was found in schema ${domain.namespaceName}.`);
    }
  }
}
