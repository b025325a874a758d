// Installs the database side of watch mode: two event triggers that NOTIFY `postgraphile_watch`
// after DDL, using PostGraphile v4's schema, channel and payload shape so either tool can read
// the other's notifications. Unlike v4's fixtures (drop schema cascade, then recreate) this is
// idempotent and safe when several servers start at once on one database.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** Channel the triggers notify on (shared with PostGraphile v4). */
export const watchChannel = 'postgraphile_watch';

// Any constant works; it only has to be the same for every server installing the fixtures.
const installLockKey = 7_249_011_537;

// Marker inside the function bodies (a hash of them): lets a server see that this exact version
// is installed, possibly by a DBA, without running DDL, which a non-superuser could not do.
const markerPlaceholder = '@@marker@@';

// NOTIFY payloads must be under 8000 bytes; keep room for the envelope.
const payloadBudget = 7800;

const ddlFunctionTemplate = `
create or replace function postgraphile_watch.notify_watchers_ddl() returns event_trigger
language plpgsql
set search_path = pg_catalog
as $$
-- ${markerPlaceholder}
declare
  r record;
  item text;
  items text := '';
  n int := 0;
  truncated boolean := false;
begin
  for r in
    select * from (
      select distinct
        -- A schema's own commands carry no schema_name; report the schema itself.
        case when d.object_type = 'schema' then (select nspname from pg_namespace where oid = d.objid)
          else d.schema_name end as schema_name,
        d.command_tag, d.object_identity, d.object_type
      from pg_event_trigger_ddl_commands() d
    ) x
    -- Should the list be truncated, keep the main objects rather than their sequences and indexes.
    order by x.object_type in ('sequence', 'index'), x.object_identity
  loop
    -- Temporary objects never reach the API; refreshing a materialized view changes no schema.
    continue when r.schema_name is not null and (r.schema_name = 'pg_temp' or r.schema_name like 'pg\\_temp\\_%');
    continue when r.command_tag = 'REFRESH MATERIALIZED VIEW';
    item := json_build_object(
      'schema', r.schema_name, 'command', r.command_tag,
      'identity', r.object_identity, 'object_type', r.object_type
    )::text;
    if octet_length(items) + octet_length(item) > ${payloadBudget} then
      truncated := true;
      exit;
    end if;
    items := items || case when n > 0 then ',' else '' end || item;
    n := n + 1;
  end loop;
  if n = 0 and not truncated then
    return;
  end if;
  perform pg_notify('${watchChannel}',
    '{"type":"ddl","payload":[' || items || ']' || case when truncated then ',"truncated":true' else '' end || '}');
exception when others then
  -- Watching is a convenience: never fail the DDL that triggered it.
  raise warning 'postgraphile_watch: %', sqlerrm;
end;
$$;
`;

const dropFunctionTemplate = `
create or replace function postgraphile_watch.notify_watchers_drop() returns event_trigger
language plpgsql
set search_path = pg_catalog
as $$
-- ${markerPlaceholder}
declare
  r record;
  item text;
  items text := '';
  n int := 0;
  truncated boolean := false;
begin
  for r in
    select * from (
      select distinct on (d.object_identity, d.object_type)
        case when d.object_type = 'schema' then d.object_name else d.schema_name end as schema_name,
        d.object_identity, d.object_type, d.original
      from pg_event_trigger_dropped_objects() d
      where not d.is_temporary and d.schema_name is distinct from 'pg_toast'
      order by d.object_identity, d.object_type, d.original desc
    ) x
    -- The objects the statement named come first; dependent ones follow.
    order by not x.original, x.object_identity
  loop
    item := json_build_object(
      'schema', r.schema_name, 'command', tg_tag,
      'identity', r.object_identity, 'object_type', r.object_type
    )::text;
    if octet_length(items) + octet_length(item) > ${payloadBudget} then
      truncated := true;
      exit;
    end if;
    items := items || case when n > 0 then ',' else '' end || item;
    n := n + 1;
  end loop;
  if n = 0 and not truncated then
    return;
  end if;
  perform pg_notify('${watchChannel}',
    '{"type":"drop","payload":[' || items || ']' || case when truncated then ',"truncated":true' else '' end || '}');
exception when others then
  -- Watching is a convenience: never fail the DDL that triggered it.
  raise warning 'postgraphile_watch: %', sqlerrm;
end;
$$;
`;

const versionMarker =
  'forum-dev watch fixtures ' +
  createHash('sha256').update(ddlFunctionTemplate).update(dropFunctionTemplate).digest('hex').slice(0, 16);
const ddlFunction = ddlFunctionTemplate.replace(markerPlaceholder, versionMarker);
const dropFunction = dropFunctionTemplate.replace(markerPlaceholder, versionMarker);

// Event triggers are created only when missing or different (e.g. v4's, which filter by tag),
// so concurrent installs never drop one another's triggers.
function ensureTrigger(name: string, event: string, fn: string): string {
  return `
do $$
begin
  if not exists (
    select 1 from pg_event_trigger
    where evtname = '${name}' and evtevent = '${event}' and evttags is null
      and evtfoid = 'postgraphile_watch.${fn}()'::regprocedure and evtenabled <> 'D'
  ) then
    drop event trigger if exists ${name};
    create event trigger ${name} on ${event} execute procedure postgraphile_watch.${fn}();
  end if;
end;
$$;
`;
}

/** SQL a superuser can run once (any number of times) to enable listen-mode watching. */
export const watchFixturesSql = [
  '-- forum-dev watch mode: notify `postgraphile_watch` after DDL. Safe to run repeatedly.',
  'begin;',
  `select pg_advisory_xact_lock(${installLockKey});`,
  'create schema if not exists postgraphile_watch;',
  ddlFunction.trim(),
  dropFunction.trim(),
  ensureTrigger('postgraphile_watch_ddl', 'ddl_command_end', 'notify_watchers_ddl').trim(),
  ensureTrigger('postgraphile_watch_drop', 'sql_drop', 'notify_watchers_drop').trim(),
  'commit;',
  '',
].join('\n');

const installedCheck = `
select count(*)::int as n
from pg_event_trigger t
join pg_proc p on p.oid = t.evtfoid
join pg_namespace ns on ns.oid = p.pronamespace
where ns.nspname = 'postgraphile_watch'
  and t.evtenabled <> 'D'
  and t.evttags is null
  and position($1 in p.prosrc) > 0
  and ((t.evtname = 'postgraphile_watch_ddl' and t.evtevent = 'ddl_command_end' and p.proname = 'notify_watchers_ddl')
    or (t.evtname = 'postgraphile_watch_drop' and t.evtevent = 'sql_drop' and p.proname = 'notify_watchers_drop'))
`;

/**
 * Writes `watchFixturesSql` to `<dir>/watch-fixtures.sql` (or the system temp folder when `dir`
 * cannot be written) for a DBA to run, and returns the file's path.
 */
export function writeWatchFixturesSql(dir: string): string {
  for (const base of [path.resolve(dir), os.tmpdir()]) {
    const file = path.join(base, base === path.resolve(dir) ? 'watch-fixtures.sql' : 'forum-dev-watch-fixtures.sql');
    try {
      fs.mkdirSync(base, { recursive: true });
      fs.writeFileSync(file, watchFixturesSql);
      return file;
    } catch {
      // try the next place
    }
  }
  throw new Error(`could not write the watch fixtures SQL under ${dir} or ${os.tmpdir()}`);
}

export type InstallResult = { ok: true } | { ok: false; reason: string; sql: string };

/**
 * Make sure the watch fixtures are installed in the database of `ownerConnection`.
 * Returns `ok: false` (never throws) when they are missing and this role cannot create them;
 * `sql` is then what a DBA can run once.
 */
export async function installWatchFixtures(ownerConnection: string): Promise<InstallResult> {
  const client = new Client({ connectionString: ownerConnection, application_name: 'forum-dev-install' });
  // A connection error after connect must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    return { ok: false, reason: `cannot connect: ${(err as Error).message}`, sql: watchFixturesSql };
  }
  try {
    const { rows } = await client.query<{ n: number }>(installedCheck, [versionMarker]);
    if (rows[0].n === 2) return { ok: true };

    const { rows: roleRows } = await client.query<{ superuser: boolean; name: string }>(
      'select rolsuper as superuser, current_user as name from pg_roles where rolname = current_user',
    );
    const role = roleRows[0];
    try {
      // One simple-protocol round trip: the whole script runs as one transaction.
      await client.query(watchFixturesSql);
      return { ok: true };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      const e = err as { message: string; code?: string };
      const why =
        e.code === '42501' && role && !role.superuser
          ? `role "${role.name}" may not create event triggers (superuser only): ${e.message}`
          : `installing watch fixtures failed: ${e.message}`;
      return { ok: false, reason: why, sql: watchFixturesSql };
    }
  } catch (err) {
    return { ok: false, reason: `checking watch fixtures failed: ${(err as Error).message}`, sql: watchFixturesSql };
  } finally {
    await client.end().catch(() => undefined);
  }
}
