// Runs the catalog query and turns its answer into the typed model: ids as strings, smart
// comment tags split from descriptions, attributes and keys attached to their classes, and the
// keys that views declare with `@primaryKey`/`@unique`/`@foreignKey` added as constraints.
import { createHash } from 'node:crypto';
import type { ClientBase, Pool } from 'pg';
import { introspectionSql } from './query';
import type { Model, PgAttribute, PgClass, PgConstraint, PgProc, PgType, Tags } from './model';
import { applyTagRules, readTagsFile, type TagRule } from './tags-file';

type Raw = Record<string, any>;

/**
 * `tagsFile` (a `postgraphile.tags.json5`) is read on every call, so a reload sees its latest
 * version; its tags are merged with the comments' tags, as v4 does.
 */
export async function introspect(db: Pool | ClientBase, schemas: string[], tagsFile?: string): Promise<Model> {
  const tags = tagsFile ? readTagsFile(tagsFile) : undefined;
  // Named, so each connection plans it once; watch mode introspects again after every change.
  const { rows } = await db.query({ name: 'forum_dev_introspection', text: introspectionSql, values: [schemas] });
  const model = buildModel(rows[0].introspection as string, schemas, tags?.rules);
  if (tags?.warnings.length) model.warnings = [...tags.warnings, ...(model.warnings ?? [])];
  await addEnumTables(db, model);
  return model;
}

/**
 * Tables tagged `@enum` become enum types: their primary key values are the variants (and a
 * `description` column describes them). Columns referencing them take that enum type. This needs
 * the tables' rows, so it is a second round trip, made only when such tables exist.
 */
async function addEnumTables(db: Pool | ClientBase, model: Model): Promise<void> {
  // only in the exposed schemas, as v4: the role may not even use the others
  const exposed = exposedNamespaceIds(model);
  const tables = model.classes.filter((c) => exposed.has(c.namespaceId) && c.tags.enum !== undefined && c.primaryKey?.keyAttributeNums.length === 1);
  if (!tables.length) return;
  const parts = tables.map((t, i) => {
    const pk = t.attributes.find((a) => a.num === t.primaryKey!.keyAttributeNums[0])!;
    const desc = t.attributes.find((a) => a.name === 'description');
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    // no ORDER BY: variants keep the table's own row order, as v4 reads them
    return `select ${i} as i, coalesce(json_agg(json_build_array(${q(pk.name)}::text, ${desc ? `${q(desc.name)}::text` : 'null'})), '[]') as rows from ${q(t.namespaceName)}.${q(t.name)}`;
  });
  const rows = await db.query(parts.join(' union all ')).then((r) => r.rows, (err: Error) => {
    throw new Error(`Introspection could not read the rows of the enum tables ${tables.map((t) => `"${t.namespaceName}"."${t.name}"`).join(', ')}: `
      + `${err.message}. Grant the connecting role USAGE on their schema and SELECT on them.`);
  });
  for (const r of rows) {
    const table = tables[r.i];
    const pk = table.attributes.find((a) => a.num === table.primaryKey!.keyAttributeNums[0])!;
    const values = r.rows as Array<[string, string | null]>;
    const enumName = typeof table.tags.enumName === 'string' ? table.tags.enumName : undefined;
    const type: PgType = {
      id: `enum:${table.id}`, name: table.name, description: table.description,
      tags: enumName ? { enumName } : {}, namespaceId: table.namespaceId, namespaceName: table.namespaceName,
      type: 'e', category: 'E', domainIsNotNull: false, arrayItemTypeId: null, isPgArray: false, classId: null,
      // the real column type, for casts
      domainBaseTypeId: pk.typeId, domainTypeModifier: null,
      enumVariants: values.map((v) => v[0]), enumDescriptions: values.map((v) => v[1]), rangeSubTypeId: null,
    };
    model.types.push(type);
    model.typeById.set(type.id, type);
    for (const cls of model.classes) {
      for (const con of cls.constraints) {
        if (con.type === 'f' && con.foreignClassId === table.id && con.keyAttributeNums.length === 1) {
          const att = cls.attributes.find((a) => a.num === con.keyAttributeNums[0]);
          if (att) att.typeId = type.id;
        }
      }
    }
  }
}

/** Splits PostGraphile smart comment tags (`@name foo` lines at the top) from the description. */
export function parseTags(comment: string | null): { tags: Tags; text: string | null } {
  if (comment == null) return { tags: {}, text: null };
  const tags: Tags = {};
  const lines = comment.split(/\r?\n/);
  let i = 0;
  for (; i < lines.length; i++) {
    const match = lines[i].match(/^@[a-zA-Z][a-zA-Z0-9_]*($|\s)/);
    if (!match) break;
    const key = match[0].slice(1).trim();
    const value: string | true = match[0] === lines[i] ? true : lines[i].replace(match[0], '');
    const prev = tags[key];
    tags[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const text = i === 0 ? comment : lines.slice(i).join('\n');
  // a comment of only tags describes nothing
  return { tags, text: text === '' ? null : text };
}

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v == null ? null : String(v));

export function buildModel(json: string, schemas: string[], tagRules: readonly TagRule[] = []): Model {
  const raw = JSON.parse(json) as Raw;
  const hash = createHash('sha1').update(json).update(tagRules.length ? JSON.stringify(tagRules) : '').digest('hex');

  const namespaces = (raw.namespace as Raw[])
    .map((n) => ({ id: str(n.id), name: n.name as string, description: n.description ?? null }))
    .sort((a, b) => schemas.indexOf(a.name) - schemas.indexOf(b.name));

  const types: PgType[] = (raw.type as Raw[]).map((t) => {
    const { tags, text } = parseTags(t.description);
    return {
      id: str(t.id), name: t.name, description: text, tags,
      namespaceId: str(t.namespaceId), namespaceName: t.namespaceName,
      type: t.type, category: t.category, domainIsNotNull: t.domainIsNotNull,
      arrayItemTypeId: strOrNull(t.arrayItemTypeId), isPgArray: t.isPgArray,
      classId: strOrNull(t.classId), domainBaseTypeId: strOrNull(t.domainBaseTypeId),
      domainTypeModifier: t.domainTypeModifier ?? null, enumVariants: t.enumVariants ?? null,
      rangeSubTypeId: strOrNull(t.rangeSubTypeId),
    };
  });

  const classes: PgClass[] = (raw.class as Raw[]).map((c) => {
    const { tags, text } = parseTags(c.description);
    return {
      id: str(c.id), name: c.name, namespaceId: str(c.namespaceId), namespaceName: c.namespaceName,
      classKind: c.classKind, description: text, tags, typeId: str(c.typeId),
      isSelectable: c.isSelectable, isInsertable: c.isInsertable, isUpdatable: c.isUpdatable,
      isDeletable: c.isDeletable, aclSelectable: c.aclSelectable, aclInsertable: c.aclInsertable,
      aclUpdatable: c.aclUpdatable, aclDeletable: c.aclDeletable,
      attributes: [], constraints: [], primaryKey: null,
    };
  });
  const classById = new Map(classes.map((c) => [c.id, c]));
  const typeById = new Map(types.map((t) => [t.id, t]));
  // A composite type is renamed with `comment on type`, which lands on its pg_type row; v4 names
  // a class by its own `@name`, else its row type's.
  for (const c of classes) {
    const typeName = typeById.get(c.typeId)?.tags.name;
    if (c.tags.name === undefined && typeName !== undefined) c.tags = { ...c.tags, name: typeName };
  }

  for (const a of raw.attribute as Raw[]) {
    const cls = classById.get(str(a.classId));
    if (!cls) continue;
    const { tags, text } = parseTags(a.description);
    const att: PgAttribute = {
      classId: cls.id, num: a.num, name: a.name, description: text, tags,
      typeId: str(a.typeId), typeModifier: a.typeModifier ?? null, isNotNull: a.isNotNull || tags.notNull !== undefined,
      hasDefault: a.hasDefault, identity: a.identity ?? '', generated: a.generated ?? '',
      aclSelectable: a.aclSelectable, aclInsertable: a.aclInsertable, aclUpdatable: a.aclUpdatable,
    };
    cls.attributes.push(att);
  }

  for (const c of raw.constraint as Raw[]) {
    const cls = classById.get(str(c.classId));
    if (!cls) continue;
    const { tags, text } = parseTags(c.description);
    const con: PgConstraint = {
      id: str(c.id), name: c.name, type: c.type, classId: cls.id,
      foreignClassId: strOrNull(c.foreignClassId), description: text, tags,
      keyAttributeNums: c.keyAttributeNums, foreignKeyAttributeNums: c.foreignKeyAttributeNums ?? null,
      isFake: false,
    };
    cls.constraints.push(con);
  }

  const procs: PgProc[] = (raw.procedure as Raw[]).map((p) => {
    const { tags, text } = parseTags(p.description);
    return {
      id: str(p.id), name: p.name, description: text, tags,
      namespaceId: str(p.namespaceId), namespaceName: p.namespaceName,
      isStrict: p.isStrict, returnsSet: p.returnsSet, isStable: p.isStable,
      returnTypeId: str(p.returnTypeId), argTypeIds: (p.argTypeIds as unknown[]).map(str),
      argModes: p.argModes, argNames: p.argNames, inputArgsCount: p.inputArgsCount,
      argDefaultsNum: p.argDefaultsNum, aclExecutable: p.aclExecutable,
      securityDefiner: p.securityDefiner, language: p.language,
    };
  });

  const model: Model = {
    serverVersionNum: raw.serverVersionNum,
    namespaces, classes, types, procs,
    extensions: (raw.extension as Raw[]).map((e) => ({
      id: str(e.id), name: e.name, namespaceId: str(e.namespaceId), version: e.version,
    })),
    classById, typeById, hash,
  };
  // Before anything reads the tags (keys, not-null, enum tables), as v4 augments the results.
  if (tagRules.length) {
    model.warnings = applyTagRules(tagRules, { classes, classById, procs });
    for (const cls of classes) for (const att of cls.attributes) if (att.tags.notNull !== undefined) att.isNotNull = true;
  }
  addSmartKeys(model);
  for (const cls of classes) {
    cls.primaryKey = cls.constraints.find((k) => k.type === 'p') ?? null;
  }
  return model;
}

function tagValues(tags: Tags, key: string): string[] {
  const v = tags[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function columnNums(cls: PgClass, list: string, what: string): number[] {
  return list.split(',').map((name) => {
    const att = cls.attributes.find((a) => a.name === name.trim());
    if (!att) throw new Error(`${what} on ${cls.namespaceName}.${cls.name} names unknown column '${name.trim()}'`);
    return att.num;
  });
}

const exposedNamespaceIds = (model: Model) => new Set(model.namespaces.map((n) => n.id));

/** `@primaryKey a,b`, `@unique a,b` and `@foreignKey (a) references s.t (b)` smart comments. */
function addSmartKeys(model: Model): void {
  let fakeId = 0;
  // As v4: smart keys only on and to classes of the exposed schemas; others are not read at all
  const exposed = exposedNamespaceIds(model);
  for (const cls of model.classes) {
    if (!exposed.has(cls.namespaceId)) continue;
    const fake = (type: string, keys: number[], extra: Partial<PgConstraint> = {}): PgConstraint => ({
      id: `fake:${++fakeId}`, name: `fake_${cls.name}_${fakeId}`, type, classId: cls.id,
      foreignClassId: null, description: null, tags: {}, keyAttributeNums: keys,
      foreignKeyAttributeNums: null, isFake: true, ...extra,
    });
    for (const pk of tagValues(cls.tags, 'primaryKey')) {
      const nums = columnNums(cls, pk, '@primaryKey');
      for (const n of nums) {
        const att = cls.attributes.find((a) => a.num === n);
        if (att) att.isNotNull = true;
      }
      cls.constraints.push(fake('p', nums));
    }
    for (const uq of tagValues(cls.tags, 'unique')) {
      cls.constraints.push(fake('u', columnNums(cls, uq.split('|')[0], '@unique')));
    }
    for (const fk of tagValues(cls.tags, 'foreignKey')) {
      const [spec, ...tagParts] = fk.split('|');
      const m = spec.match(/^\(([^)]+)\)\s*references\s*([^\s(]+)\s*(?:\(([^)]+)\))?\s*$/i);
      if (!m) throw new Error(`Invalid @foreignKey on ${cls.namespaceName}.${cls.name}: ${fk}`);
      const [schemaName, tableName] = m[2].includes('.')
        ? m[2].split('.').map((s) => s.replace(/"/g, ''))
        : [cls.namespaceName, m[2].replace(/"/g, '')];
      const target = model.classes.find((c) => c.namespaceName === schemaName && c.name === tableName);
      if (!target) throw new Error(`@foreignKey on ${cls.namespaceName}.${cls.name} references unknown ${m[2]}`);
      if (!exposed.has(target.namespaceId)) continue;
      const foreignNums = m[3]
        ? columnNums(target, m[3], '@foreignKey')
        : (target.constraints.find((k) => k.type === 'p')?.keyAttributeNums ?? []);
      const tags: Tags = {};
      for (const part of tagParts) {
        const t = part.trim().match(/^@([a-zA-Z][a-zA-Z0-9_]*)(?:\s+(.*))?$/);
        if (t) tags[t[1]] = t[2] ?? true;
      }
      cls.constraints.push(fake('f', columnNums(cls, m[1], '@foreignKey'), {
        foreignClassId: target.id, foreignKeyAttributeNums: foreignNums, tags,
      }));
    }
  }
}

export type { Model, PgClass, PgAttribute, PgType, PgProc, PgConstraint };
