// Runs the catalog query and turns its answer into the typed model: ids as strings, smart
// comment tags split from descriptions, attributes and keys attached to their classes, and the
// keys that views declare with `@primaryKey`/`@unique`/`@foreignKey` added as constraints.
import { createHash } from 'node:crypto';
import type { ClientBase, Pool } from 'pg';
import { addEnumTables } from './enum-tables';
import { introspectionSql } from './query';
import { omitActions, type Model, type PgAttribute, type PgClass, type PgConstraint, type PgProc, type PgType, type Tags } from './model';
import { omitUngranted } from './rbac';
import { applyTagRules, readTagsFile, type TagRule } from './tags-file';

type Raw = Record<string, any>;

/** What introspection reads, as v4's options choose it. */
export interface IntrospectOptions {
  tagsFile?: string;
  /** v4's `--include-extension-resources`: tables and functions of extensions too. */
  includeExtensionResources?: boolean;
  /** v4's `--use-partitioned-parent`: partitioned tables instead of their partitions. */
  usePartitionedParent?: boolean;
  /** false (v4's `enableTags: false`): comments are descriptions only, no `@tags` are read. */
  enableTags?: boolean;
  /** false (v4's `--no-ignore-rbac`): what the role is not granted counts as `@omit`ted. */
  ignoreRbac?: boolean;
  /**
   * Make each table's key (watch mode), by which a later introspection takes the columns of
   * unchanged tables from this one; with `previous` (made with keys), take them from it now.
   */
  columnKeys?: boolean;
  previous?: Model;
}

/**
 * `tagsFile` (a `postgraphile.tags.json5`) is read on every call, so a reload sees its latest
 * version; its tags are merged with the comments' tags, as v4 does.
 */
export async function introspect(db: Pool | ClientBase, schemas: string[], options: IntrospectOptions = {}): Promise<Model> {
  const tags = options.tagsFile ? readTagsFile(options.tagsFile) : undefined;
  // The column entries are most of the answer (on 300 tables, 500 of 800 KB): a reload asks
  // only for those of tables whose key changed.
  const keyed = !!options.columnKeys;
  const known = keyed ? options.previous?.columnRows : undefined;
  // Named, so each connection plans it once; watch mode introspects again after every change.
  const { rows } = await db.query({
    name: 'forum_dev_introspection', text: introspectionSql,
    values: [
      schemas, !!options.includeExtensionResources, !!options.usePartitionedParent,
      known ? [...known.keys()] : [], keyed,
    ],
  });
  const columns = { text: rows[0].attributes as string, keyed, known };
  const model = buildModel(rows[0].introspection as string, schemas, tags?.rules, options.enableTags !== false, columns);
  if (tags?.warnings.length) model.warnings = [...tags.warnings, ...(model.warnings ?? [])];
  await addEnumTables(db, model, schemas);
  if (options.ignoreRbac === false) omitUngranted(model);
  return model;
}

/** Splits PostGraphile smart comment tags (`@name foo` lines at the top) from the description. */
export function parseTags(comment: string | null): { tags: Tags; text: string | null } {
  return parseCommentTags(comment);
}

function parseCommentTags(comment: string | null): { tags: Tags; text: string | null } {
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

/**
 * The model from the catalog query's answer: `json`, and the column entries (`columns.text`).
 * With keys (`columns.keyed`), those are the entries of tables whose key is not in
 * `columns.known`, the others are taken from there. The hash covers what the model is made of,
 * never the keys: a change that moves row versions but not content (a grant to another role, a
 * column's statistics target) leaves it equal, so the reload keeps its schema.
 */
function buildModel(
  json: string, schemas: string[], tagRules: readonly TagRule[] = [], enableTags: boolean,
  columns: { text: string; keyed: boolean; known?: ReadonlyMap<string, readonly unknown[]> },
): Model {
  const raw = JSON.parse(json) as Raw;
  const fresh = JSON.parse(columns.text) as Raw[];
  const columnRows = columns.keyed ? columnsByKey(raw.class as Raw[], fresh, columns.known) : undefined;
  // v4 keeps the whole comment as the description when tags are off
  const parseTags = enableTags ? parseCommentTags : (comment: string | null) => ({ tags: {} as Tags, text: comment });
  const hash = createHash('sha1');
  if (!columnRows) hash.update(json).update(columns.text);
  else {
    hash.update(json.replace(KEY_FIELD, ''));
    for (const c of raw.class as Raw[]) hash.update(digestOf(columnRows.get(c.attributesKey as string)!));
  }
  hash.update(tagRules.length ? JSON.stringify(tagRules) : '');

  const namespaces = (raw.namespace as Raw[])
    .map((n) => ({ id: str(n.id), name: n.name as string, description: n.description ?? null }))
    .sort((a, b) => schemas.indexOf(a.name) - schemas.indexOf(b.name));

  const types: PgType[] = (raw.type as Raw[]).map((t) => {
    const { tags, text } = parseTags(t.description);
    return {
      id: str(t.id), name: t.name, description: text, tags,
      namespaceId: str(t.namespaceId), namespaceName: t.namespaceName,
      type: t.type, category: t.category, domainIsNotNull: t.domainIsNotNull, domainHasDefault: !!t.domainHasDefault,
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

  for (const rowsOfClass of columnRows?.values() ?? [fresh]) for (const a of rowsOfClass as Raw[]) {
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

  markIndexed(raw.index as Raw[] | undefined, classById);

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
    classById, typeById, hash: hash.digest('hex'), columnRows,
  };
  // v4 reads `@name` and `@foreignKey` of a composite type from `comment on type` too (it lands on
  // the pg_type row): a class's own tag first, else its row type's
  for (const cls of classes) {
    const typeTags = typeById.get(cls.typeId)?.tags ?? {};
    for (const key of ['name', 'foreignKey']) {
      if (cls.tags[key] === undefined && typeTags[key] !== undefined) cls.tags[key] = typeTags[key];
    }
  }
  // Before anything reads the tags (keys, not-null, enum tables), as v4 augments the results.
  if (tagRules.length) {
    model.warnings = applyTagRules(tagRules, { classes, classById, procs });
    for (const cls of classes) for (const att of cls.attributes) if (att.tags.notNull !== undefined) att.isNotNull = true;
  }
  addSmartKeys(model);
  checkSmartTags(model, schemas);
  for (const cls of classes) {
    cls.primaryKey = cls.constraints.find((k) => k.type === 'p') ?? null;
  }
  return model;
}

/**
 * Each table's column entries by its key, in the order of the tables: fresh ones (the query
 * orders them by table and number), else the ones kept under the same key.
 */
/** A table's key in the answer (base64, no quotes inside), left out of the hash. */
const KEY_FIELD = /"attributesKey"\s*:\s*"[^"]*"/g;

// One table's column entries, digested once: kept entries are the same array on every reload.
const digests = new WeakMap<readonly unknown[], string>();
function digestOf(rows: readonly unknown[]): string {
  let digest = digests.get(rows);
  if (digest === undefined) digests.set(rows, (digest = createHash('sha1').update(JSON.stringify(rows)).digest('base64')));
  return digest;
}

function columnsByKey(classes: Raw[], fresh: Raw[], known: ReadonlyMap<string, readonly unknown[]> | undefined): Map<string, readonly unknown[]> {
  const freshByClass = new Map<string, Raw[]>();
  for (const a of fresh) {
    const id = str(a.classId);
    const list = freshByClass.get(id);
    if (list) list.push(a);
    else freshByClass.set(id, [a]);
  }
  const out = new Map<string, readonly unknown[]>();
  for (const c of classes) {
    const key = c.attributesKey as string;
    out.set(key, freshByClass.get(str(c.id)) ?? known?.get(key) ?? []);
  }
  return out;
}

/** As v4: an index marks its first column, and each foreign key whose columns lead it. */
function markIndexed(indexes: Raw[] = [], classById: Map<string, PgClass>): void {
  for (const idx of indexes) {
    const cls = classById.get(str(idx.classId));
    if (!cls) continue;
    const nums = idx.attributeNums as number[];
    const first = cls.attributes.find((a) => a.num === nums[0]);
    if (first) first.isIndexed = true;
    for (const con of cls.constraints) {
      if (con.type === 'f' && con.keyAttributeNums.every((n, i) => nums[i] === n)) con.isIndexed = true;
    }
  }
}

// v4 refuses `@omit read` that leaves on what cannot work without reading
const NEEDS_READ = ['update', 'create', 'delete', 'all', 'many'];

/** Smart comments v4 refuses to build a schema with, refused here too with what to change. */
function checkSmartTags(model: Model, schemas: string[]): void {
  const check = (what: string, tags: Tags) => {
    const list = omitActions(tags);
    if (list.includes('*') || !list.includes('read')) return;
    const missing = NEEDS_READ.filter((p) => !list.includes(p));
    if (missing.length) {
      throw new Error(`@omit on ${what}: '${missing.join(',')}' must be omitted when 'read' is omitted. Add '${missing.join(',')}' to the @omit, or use a bare '@omit' to omit it entirely.`);
    }
  };
  for (const cls of model.classes) {
    if (!schemas.includes(cls.namespaceName)) continue;
    const name = `${cls.namespaceName}.${cls.name}`;
    check(name, cls.tags);
    for (const a of cls.attributes) check(`column ${name}.${a.name}`, a.tags);
    for (const c of cls.constraints) check(`constraint ${c.name} of ${name}`, c.tags);
    const uniqueKey = cls.tags.uniqueKey;
    if (cls.classKind === 'v' && typeof uniqueKey === 'string' && !cls.attributes.some((a) => a.name === uniqueKey)) {
      throw new Error(`@uniqueKey on view ${name} names '${uniqueKey}', which is not one of its columns.`);
    }
  }
  for (const p of model.procs) if (schemas.includes(p.namespaceName)) check(`function ${p.namespaceName}.${p.name}`, p.tags);
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

/** `cols|@tag value|@other` → the key's columns, then smart comment tags of its own (as v4 reads them). */
function constraintSpec(raw: string): { spec: string; tags: Tags; description: string | null } {
  const [spec, ...parts] = raw.split('|');
  const { tags, text } = parseTags(parts.map((p) => p.trim()).join('\n'));
  return { spec, tags, description: parts.length ? text : null };
}

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
      foreignKeyAttributeNums: null, isFake: true, isIndexed: true, ...extra,
    });
    for (const pk of tagValues(cls.tags, 'primaryKey')) {
      const { spec, tags, description } = constraintSpec(pk);
      const nums = columnNums(cls, spec, '@primaryKey');
      for (const n of nums) {
        const att = cls.attributes.find((a) => a.num === n);
        if (att) att.isNotNull = true;
      }
      cls.constraints.push(fake('p', nums, { tags, description }));
    }
    for (const uq of tagValues(cls.tags, 'unique')) {
      const { spec, tags, description } = constraintSpec(uq);
      cls.constraints.push(fake('u', columnNums(cls, spec, '@unique'), { tags, description }));
    }
    for (const fk of tagValues(cls.tags, 'foreignKey')) {
      const { spec, tags, description } = constraintSpec(fk);
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
      cls.constraints.push(fake('f', columnNums(cls, m[1], '@foreignKey'), {
        foreignClassId: target.id, foreignKeyAttributeNums: foreignNums, tags, description,
      }));
    }
  }
}

export type { Model, PgClass, PgAttribute, PgType, PgProc, PgConstraint };
