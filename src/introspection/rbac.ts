// `--no-ignore-rbac`: what the connecting role (or a role it may become) is not granted is
// treated as `@omit`ted, as v4 reads the grants. Folding the grants into the omit tags once means
// every later `@omit` check in the schema stage honours them, with no second set of rules.
import type { Model, PgAttribute, PgClass, Tags } from './model';

/** v4 reads grants on tables, views and materialized views only (not composite or foreign). */
const TABLE_LIKE = new Set(['r', 'v', 'm']);

function addOmits(tags: Tags, actions: string[]): void {
  if (!actions.length) return;
  const prev = tags.omit;
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [prev];
  tags.omit = [...list, actions.join(',')];
}

function classOmits(cls: PgClass): string[] {
  const some = (pick: (a: PgAttribute) => boolean) => cls.attributes.some(pick);
  const out: string[] = [];
  // a column-level grant is enough to read (or write) the table through that column
  if (!cls.aclSelectable && !some((a) => a.aclSelectable)) out.push('read', 'all', 'many');
  if (!cls.aclInsertable && !some((a) => a.aclInsertable)) out.push('create');
  if (!cls.aclUpdatable && !some((a) => a.aclUpdatable)) out.push('update');
  if (!cls.aclDeletable) out.push('delete');
  return out;
}

function attributeOmits(a: PgAttribute): string[] {
  const out: string[] = [];
  if (!a.aclSelectable) out.push('read', 'filter', 'order');
  if (!a.aclInsertable) out.push('create');
  if (!a.aclUpdatable) out.push('update');
  return out;
}

export function omitUngranted(model: Model): void {
  for (const cls of model.classes) {
    if (!TABLE_LIKE.has(cls.classKind)) continue;
    const readable = cls.aclSelectable || cls.attributes.some((a) => a.aclSelectable);
    // Columns are judged only when the table is readable at all: a table nobody may read is
    // reached through security definer functions, which return every column.
    if (readable) for (const a of cls.attributes) addOmits(a.tags, attributeOmits(a));
    addOmits(cls.tags, classOmits(cls));
  }
  for (const proc of model.procs) if (!proc.aclExecutable) addOmits(proc.tags, ['execute']);
}
