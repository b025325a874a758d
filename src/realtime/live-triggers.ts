// Change capture for live queries: a statement-level AFTER INSERT/UPDATE/DELETE/TRUNCATE
// trigger on each watched table sends `pg_notify('forum_dev_live', '<schema>.<table>')` once
// per statement (PostgreSQL also folds identical notifications within one transaction).
// Notifications of rolled-back transactions are never delivered.
//
// The install is idempotent and quiet: DDL runs only when something is missing or different,
// so reinstalling on every start does not fire DDL event triggers (the schema watcher's).
import { Client } from 'pg';

export const LIVE_CHANNEL = 'forum_dev_live';
export const LIVE_SCHEMA = 'forum_dev_live';
export const LIVE_TRIGGER = '_forum_dev_live';
// Serialises concurrent installs (two dev servers starting at once against one database).
const INSTALL_LOCK = 7_349_021_466_115_203;

export interface LiveTable {
  schema: string;
  table: string;
}

export type InstallResult = { ok: true } | { ok: false; reason: string };

// The trigger function body, compared against pg_proc.prosrc to decide whether to replace it.
// Qualified names only: it runs under whatever search_path the writing session has.
const FUNCTION_BODY = `
begin
  perform pg_catalog.pg_notify('${LIVE_CHANNEL}', tg_table_schema operator(pg_catalog.||) '.' operator(pg_catalog.||) tg_table_name);
  return null;
end;
`;

function literal(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

function textArray(values: string[]): string {
  return `array[${values.map(literal).join(', ')}]::text[]`;
}

/** SQL (one DO block) that installs the function and the triggers for exactly `tables`. */
export function liveTriggersSql(tables: LiveTable[]): string {
  const schemas = textArray(tables.map((t) => t.schema));
  const names = textArray(tables.map((t) => t.table));
  return `do $forum_dev_live$
declare
  fn oid;
  t record;
begin
  perform pg_catalog.pg_advisory_xact_lock(${INSTALL_LOCK});

  if not exists (select 1 from pg_catalog.pg_namespace where nspname = ${literal(LIVE_SCHEMA)}) then
    create schema if not exists ${LIVE_SCHEMA};
  end if;

  select p.oid into fn
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
   where n.nspname = ${literal(LIVE_SCHEMA)} and p.proname = 'notify' and p.pronargs = 0;
  if fn is null or (select prosrc from pg_catalog.pg_proc where oid = fn) is distinct from ${literal(FUNCTION_BODY)} then
    create or replace function ${LIVE_SCHEMA}.notify() returns trigger language plpgsql as $forum_dev_live_fn$${FUNCTION_BODY}$forum_dev_live_fn$;
    fn := '${LIVE_SCHEMA}.notify()'::pg_catalog.regprocedure;
  end if;

  -- Triggers on tables that are no longer watched.
  for t in
    select tg.tgrelid::pg_catalog.regclass as rel
      from pg_catalog.pg_trigger tg
     where tg.tgname = ${literal(LIVE_TRIGGER)} and tg.tgfoid = fn
       and tg.tgrelid not in (
         select c.oid
           from unnest(${schemas}, ${names}) as w(s, n)
           join pg_catalog.pg_namespace ns on ns.nspname = w.s
           join pg_catalog.pg_class c on c.relnamespace = ns.oid and c.relname = w.n)
  loop
    execute pg_catalog.format('drop trigger %I on %s', ${literal(LIVE_TRIGGER)}, t.rel);
  end loop;

  -- Watched tables that lack the trigger, or have an outdated one. Views and materialized
  -- views cannot carry it; missing tables are skipped (they may be created later).
  for t in
    select c.oid, c.oid::pg_catalog.regclass as rel, c.relkind, tg.tgtype, tg.tgfoid
      from unnest(${schemas}, ${names}) as w(s, n)
      join pg_catalog.pg_namespace ns on ns.nspname = w.s
      join pg_catalog.pg_class c on c.relnamespace = ns.oid and c.relname = w.n
      left join pg_catalog.pg_trigger tg on tg.tgrelid = c.oid and tg.tgname = ${literal(LIVE_TRIGGER)}
     where c.relkind in ('r', 'p', 'f')
  loop
    -- tgtype 60 = INSERT 4 + DELETE 8 + UPDATE 16 + TRUNCATE 32, statement-level AFTER.
    if t.tgtype is distinct from 60 or t.tgfoid is distinct from fn then
      execute pg_catalog.format(
        'create or replace trigger %I after insert or update or delete or truncate on %s'
        ' for each statement execute function ${LIVE_SCHEMA}.notify()',
        ${literal(LIVE_TRIGGER)}, t.rel);
    end if;
  end loop;
end
$forum_dev_live$;`;
}

/** Installs (or updates) live-query change capture; needs table owner rights. */
export async function installLiveTriggers(ownerConnection: string, tables: LiveTable[]): Promise<InstallResult> {
  const client = new Client({ connectionString: ownerConnection, application_name: 'forum-dev-live-install' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(liveTriggersSql(tables));
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}
