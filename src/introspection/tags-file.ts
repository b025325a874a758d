// Smart tags from a `postgraphile.tags.json5` file (v4's format, version 1), merged into the
// model as v4 merges them: after the comments are parsed, a file's tag overwrites the comment's
// tag of the same name, and its description (when given) replaces the comment's text.
import fs from 'node:fs';
import JSON5 from 'json5';
import type { PgAttribute, PgClass, PgConstraint, PgProc, Tags } from './model';

export type TagRuleKind = 'class' | 'attribute' | 'constraint' | 'procedure';

export interface TagRule {
  kind: TagRuleKind;
  /** `name`, `schema.name`, or for attributes and constraints `table.name` / `schema.table.name`. */
  match: string;
  tags?: Tags;
  description?: string;
}

export interface TagsFile {
  rules: TagRule[];
  /** What v4 would warn about: keys it ignores. */
  warnings: string[];
}

const meaningByKind: Record<TagRuleKind, string> = {
  class: 'for tables, composite types, views and materialized views',
  attribute: "for columns/attributes (of any 'class' type)",
  constraint: 'for table constraints',
  procedure: 'for functions/procedures',
};
const validKinds = Object.entries(meaningByKind).map(([k, m]) => `'${k}' (${m})`).join(', ');

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function ruleOf(kind: TagRuleKind, match: string, spec: Record<string, unknown>, path: string): TagRule {
  const { tags, description } = spec;
  if (tags !== undefined && !isObject(tags)) throw new Error(`'${path}.tags' must be an object of tag names to values`);
  if (description != null && typeof description !== 'string') throw new Error(`'${path}.description' must be a string`);
  return { kind, match, tags: tags as Tags | undefined, description: description ?? undefined };
}

/** The rules of a tags file's JSON (v4's `pgSmartTagRulesFromJSON`); throws on what v4 throws on. */
export function tagRulesFromJSON(json: unknown): TagsFile {
  const warnings: string[] = [];
  if (json == null) return { rules: [], warnings };
  if (!isObject(json) || json.version !== 1) {
    throw new Error('only the version 1 smart tags format is supported; e.g. `{version: 1, config: { class: { my_table: { tags: { omit: "create,update,delete" } } } } }`');
  }
  const config = json.config ?? {};
  if (!isObject(config)) throw new Error("'config' must be an object");
  const rules: TagRule[] = [];
  for (const [kind, byIdentifier] of Object.entries(config)) {
    if (!(kind in meaningByKind)) throw new Error(`invalid kind '${kind}'; valid kinds are: ${validKinds}`);
    if (!isObject(byIdentifier)) throw new Error(`'config.${kind}' must be an object`);
    for (const [identifier, spec] of Object.entries(byIdentifier)) {
      const path = `config.${kind}.${identifier}`;
      if (!isObject(spec)) throw new Error(`Invalid value for '${path}'`);
      const { tags: _t, description: _d, columns, attribute, constraint, ...rest } = spec;
      if (Object.keys(rest).length) {
        warnings.push(`'${path}' only supports 'tags', 'description', 'attribute' and 'constraint'; ignored: '${Object.keys(rest).join("', '")}'`);
      }
      rules.push(ruleOf(kind as TagRuleKind, identifier, spec, path));
      const nested: Array<[string, unknown, TagRuleKind]> = [['columns', columns, 'attribute'], ['attribute', attribute, 'attribute'], ['constraint', constraint, 'constraint']];
      for (const [key, entities, subKind] of nested) {
        if (entities === undefined) continue;
        const at = `${path}.${key}`;
        if (kind !== 'class') throw new Error(`'${key}' is only valid on a class; you tried to set it on a '${kind}' at '${at}'`);
        if (key === 'columns') warnings.push(`'${at}' is deprecated, please use 'config.${kind}.${identifier}.attribute' instead`);
        if (!isObject(entities)) throw new Error(`Invalid value for '${at}'`);
        for (const [name, entitySpec] of Object.entries(entities)) {
          if (name.includes('.')) throw new Error(`${key} '${name}' should not contain a period at '${at}'. This nested entry does not need further description.`);
          if (!isObject(entitySpec)) throw new Error(`Invalid value for '${at}.${name}'`);
          const { tags: _et, description: _ed, ...extra } = entitySpec;
          if (Object.keys(extra).length) {
            warnings.push(`'${at}.${name}' only supports 'tags' and 'description'; ignored: '${Object.keys(extra).join("', '")}'. Perhaps you forgot to add a "tags" entry containing these keys?`);
          }
          rules.push(ruleOf(subKind, `${identifier}.${name}`, entitySpec, `${at}.${name}`));
        }
      }
    }
  }
  return { rules, warnings };
}

/** Reads and checks a tags file; errors name the file. A missing file has no rules. */
export function readTagsFile(file: string): TagsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { rules: [], warnings: [] };
    throw new Error(`Failed to process smart tags file '${file}': ${(e as Error).message}`);
  }
  try {
    return tagRulesFromJSON(JSON5.parse(text));
  } catch (e) {
    throw new Error(`Failed to process smart tags file '${file}': ${(e as Error).message}`);
  }
}

interface Entities {
  classes: PgClass[];
  classById: Map<string, PgClass>;
  procs: PgProc[];
}

function identifies(match: string, entity: { name: string }, parent: string | undefined, grandparent?: string): boolean {
  const parts = match.split('.');
  if (parts.length === 1) return entity.name === parts[0];
  if (parts.length === 2) return entity.name === parts[1] && parent === parts[0];
  if (parts.length === 3 && grandparent !== undefined) {
    return entity.name === parts[2] && parent === parts[1] && grandparent === parts[0];
  }
  return false;
}

function matches(rule: TagRule, m: Entities): Array<{ tags: Tags; description: string | null }> {
  if (rule.match.split('.').length > 3) throw new Error(`the smart tags rule for '${rule.match}' has too many parts`);
  if (rule.kind === 'class') {
    if (rule.match.split('.').length === 3) throw new Error(`Identifier '${rule.match}' does not make sense for a 'class' entity`);
    return m.classes.filter((c) => identifies(rule.match, c, c.namespaceName));
  }
  if (rule.kind === 'procedure') {
    if (rule.match.split('.').length === 3) throw new Error(`Identifier '${rule.match}' does not make sense for a 'procedure' entity`);
    return m.procs.filter((p) => identifies(rule.match, p, p.namespaceName));
  }
  const out: Array<PgAttribute | PgConstraint> = [];
  for (const c of m.classes) {
    const list: Array<PgAttribute | PgConstraint> = rule.kind === 'attribute' ? c.attributes : c.constraints;
    for (const e of list) if (identifies(rule.match, e, c.name, c.namespaceName)) out.push(e);
  }
  return out;
}

/**
 * Applies the rules in order (a later rule wins); returns a warning for each rule that matched
 * nothing, as v4 warns (probably a typo in the file).
 */
export function applyTagRules(rules: readonly TagRule[], m: Entities): string[] {
  const warnings: string[] = [];
  for (const rule of rules) {
    const hits = matches(rule, m);
    for (const entity of hits) {
      if (rule.tags) Object.assign(entity.tags, rule.tags);
      if (rule.description != null) entity.description = rule.description;
    }
    if (!hits.length) warnings.push(`no ${rule.kind} matches the smart tags rule for '${rule.match}'`);
  }
  return warnings;
}
