// The one catalog query. It returns a single JSON document so introspection is one round trip;
// rules on what is visible (no overloads, no variadics, names starting with `__` hidden, no
// extension-owned objects) follow PostGraphile v4 so both expose the same things.
//
// $1: exposed schema names (text[]); $2: include extensions' tables and functions (v4's
// --include-extension-resources); $3: partitioned tables instead of their partitions (v4's
// --use-partitioned-parent); $4: the `attributesKey`s of the tables whose columns the caller
// already has (text[]; empty: all); $5: make those keys (watch mode; without, they are null).
//
// Privileges (the acl* columns, used with --no-ignore-rbac) are those of the connecting role or
// of any role it is a member of, inherited or not (an authenticator is typically `noinherit` and
// switches role per request), as v4 reads them. Only catalog tables and has_*_privilege by oid
// are used: nothing here needs USAGE on a schema, so any login role can run it.

export const introspectionSql = `
with recursive
  accessible_role(id) as (
      select rol.oid from pg_catalog.pg_roles rol where rol.rolname = current_user
    union
      select mem.roleid from pg_catalog.pg_auth_members mem join accessible_role acc on mem.member = acc.id
  ),
  -- What column privileges depend on besides the table's and column's own rows: role membership,
  -- and whether the roles are superusers or inherit.
  roles_key(key) as (
    select concat_ws('|',
      (select string_agg(rol.oid::text || ':' || rol.rolsuper::text || ':' || rol.rolinherit::text, ',' order by rol.oid)
       from pg_catalog.pg_roles rol where rol.oid in (select id from accessible_role)),
      (select string_agg(mem.roleid::text || '.' || mem.member::text || ':' || mem.xmin::text, ',' order by mem.roleid, mem.member, mem.xmin::text)
       from pg_catalog.pg_auth_members mem))
  ),
  namespace as (
    select nsp.oid as id, nsp.nspname as name, dsc.description
    from pg_catalog.pg_namespace nsp
    left join pg_catalog.pg_description dsc
      on dsc.objoid = nsp.oid and dsc.classoid = 'pg_catalog.pg_namespace'::regclass
    where nsp.nspname = any ($1::text[])
  ),
  class as (
    select
      rel.oid as id, rel.relname as name, rel.relkind as "classKind", dsc.description,
      rel.relnamespace as "namespaceId", nsp.nspname as "namespaceName", rel.reltype as "typeId",
      rel.relkind not in ('i', 'c') as "isSelectable",
      (upd.events & 16) = 16 as "isDeletable",
      (upd.events & 8) = 8 as "isInsertable",
      (upd.events & 4) = 4 as "isUpdatable",
      exists (select 1 from accessible_role acc where pg_catalog.has_table_privilege(acc.id, rel.oid, 'SELECT')) as "aclSelectable",
      exists (select 1 from accessible_role acc where pg_catalog.has_table_privilege(acc.id, rel.oid, 'INSERT')) as "aclInsertable",
      exists (select 1 from accessible_role acc where pg_catalog.has_table_privilege(acc.id, rel.oid, 'UPDATE')) as "aclUpdatable",
      exists (select 1 from accessible_role acc where pg_catalog.has_table_privilege(acc.id, rel.oid, 'DELETE')) as "aclDeletable"
    from pg_catalog.pg_class rel
    join pg_catalog.pg_namespace nsp on nsp.oid = rel.relnamespace
    -- Once per class, and not at all for a plain table: Postgres answers all events (28) for it.
    cross join lateral (select case when rel.relkind = 'r' then 28
      else pg_catalog.pg_relation_is_updatable(rel.oid, true) end as events) upd
    left join pg_catalog.pg_description dsc
      on dsc.objoid = rel.oid and dsc.objsubid = 0 and dsc.classoid = 'pg_catalog.pg_class'::regclass
    where rel.relpersistence = 'p'
      and rel.relname not like E'\\\\_\\\\_%'
      and (case when $3::bool then rel.relkind in ('r', 'v', 'm', 'c', 'f', 'p') and not rel.relispartition
           else rel.relkind in ('r', 'v', 'm', 'c', 'f') end)
      and nsp.nspname not in ('pg_catalog', 'information_schema')
      and nsp.nspname not like 'pg\\_%'
      and ($2::bool or not exists (
        select 1 from pg_catalog.pg_depend dep
        where dep.refclassid = 'pg_catalog.pg_extension'::regclass and dep.deptype = 'e'
          and dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = rel.oid))
  ),
  -- The exposed tables' columns (read once), visible or not; with their row versions (xmin: a
  -- new one with each change of the row).
  class_column as (
    select att.attrelid as "classId", att.attnum as num, att.attname as name, att.atttypid as "typeId",
      att.atttypmod, att.attnotnull, att.atthasdef, att.attidentity, att.attgenerated, att.xmin::text as version,
      not att.attisdropped and att.attname not like E'\\\\_\\\\_%' as shown
    from pg_catalog.pg_attribute att
    where att.attrelid in (select id from class) and att.attnum > 0
  ),
  -- Per table, every catalog row its column entries below are made of: equal keys, equal entries.
  class_key as (
    select cls.id,
      -- (sha256, not md5, which a PostgreSQL in FIPS mode refuses)
      case when $5::bool then cls.id::text || '/' || encode(pg_catalog.sha256(convert_to(
        concat_ws('|', rel.xmin::text, (select key from roles_key), col.list, dsc.list), 'UTF8')), 'base64') end as key
    from class cls
    join pg_catalog.pg_class rel on rel.oid = cls.id
    left join (
      select "classId", string_agg(num::text || ':' || version, ',' order by num) as list
      from class_column where $5::bool group by "classId"
    ) col on col."classId" = cls.id
    left join (
      select objoid, string_agg(objsubid::text || ':' || xmin::text, ',' order by objsubid) as list
      from pg_catalog.pg_description
      where $5::bool and classoid = 'pg_catalog.pg_class'::regclass and objsubid > 0 and objoid in (select id from class)
      group by objoid
    ) dsc on dsc.objoid = cls.id
  ),
  -- the tables whose columns are asked for
  fresh_class as (
    select cls.* from class cls
    join class_key using (id)
    left join unnest($4::text[]) known(key) on known.key = class_key.key
    where known.key is null
  ),
  attribute as (
    select
      col."classId", col.num, col.name, dsc.description,
      col."typeId", nullif(col.atttypmod, -1) as "typeModifier",
      col.attnotnull as "isNotNull", col.atthasdef as "hasDefault",
      col.attidentity as identity, col.attgenerated as generated,
      -- A privilege on the table is one on each of its columns: only ask per column without it.
      cls."aclSelectable" or exists (select 1 from accessible_role acc where pg_catalog.has_column_privilege(acc.id, col."classId", col.num, 'SELECT')) as "aclSelectable",
      cls."aclInsertable" or exists (select 1 from accessible_role acc where pg_catalog.has_column_privilege(acc.id, col."classId", col.num, 'INSERT')) as "aclInsertable",
      cls."aclUpdatable" or exists (select 1 from accessible_role acc where pg_catalog.has_column_privilege(acc.id, col."classId", col.num, 'UPDATE')) as "aclUpdatable"
    from class_column col
    join fresh_class cls on cls.id = col."classId"
    left join pg_catalog.pg_description dsc
      on dsc.objoid = col."classId" and dsc.objsubid = col.num
      and dsc.classoid = 'pg_catalog.pg_class'::regclass
    where col.shown
  ),
  procedure as (
    select
      pro.oid as id, pro.proname as name, dsc.description,
      pro.pronamespace as "namespaceId", nsp.name as "namespaceName",
      pro.proisstrict as "isStrict", pro.proretset as "returnsSet",
      pro.provolatile in ('i', 's') as "isStable",
      pro.prorettype as "returnTypeId",
      coalesce(pro.proallargtypes, pro.proargtypes::oid[]) as "argTypeIds",
      coalesce(pro.proargmodes::text[], array[]::text[]) as "argModes",
      coalesce(pro.proargnames, array[]::text[]) as "argNames",
      pro.pronargs as "inputArgsCount", pro.pronargdefaults as "argDefaultsNum",
      exists (select 1 from accessible_role acc where pg_catalog.has_function_privilege(acc.id, pro.oid, 'EXECUTE')) as "aclExecutable",
      pro.prosecdef as "securityDefiner",
      lan.lanname as language
    from pg_catalog.pg_proc pro
    join namespace nsp on nsp.id = pro.pronamespace
    join pg_catalog.pg_language lan on lan.oid = pro.prolang
    left join pg_catalog.pg_description dsc
      on dsc.objoid = pro.oid and dsc.classoid = 'pg_catalog.pg_proc'::regclass
    where pro.provariadic = 0
      and pro.prokind = 'f'
      and (pro.proargmodes is null or pro.proargmodes operator(pg_catalog.<@) array['i','o','b','t']::"char"[])
      and (pro.prorettype <> 'pg_catalog.record'::pg_catalog.regtype or pro.proargmodes && array['o','b','t']::"char"[])
      and (pro.proallargtypes is null or not (pro.proallargtypes operator(pg_catalog.@>) array['pg_catalog.record'::pg_catalog.regtype::oid]))
      and pro.proname not in (
        select typ.typname from pg_catalog.pg_type typ
        where typ.typtype = 'r' and typ.typnamespace = pro.pronamespace)
      and pro.prorettype <> 2279
      and pro.proname not like E'\\\\_\\\\_%'
      and (select count(*) from pg_catalog.pg_proc pro2
           where pro2.pronamespace = pro.pronamespace and pro2.proname = pro.proname) = 1
      and ($2::bool or not exists (
        select 1 from pg_catalog.pg_depend dep
        where dep.refclassid = 'pg_catalog.pg_extension'::regclass and dep.deptype = 'e'
          and dep.classid = 'pg_catalog.pg_proc'::regclass and dep.objid = pro.oid))
  ),
  type_ids as (
    with recursive ids(id) as (
        select "typeId" from class
      union
        select "typeId" from class_column where shown
      union
        select "returnTypeId" from procedure
      union
        select unnest("argTypeIds") from procedure
      union
        select x.dep from ids
        join pg_catalog.pg_type typ on typ.oid = ids.id
        cross join lateral (values
          (nullif(typ.typbasetype, 0)),
          (nullif(typ.typelem, 0)),
          (case when typ.typtype = 'r' then (select rngsubtype from pg_catalog.pg_range where rngtypid = typ.oid) end)
        ) x(dep)
        where x.dep is not null
    )
    select id from ids
  ),
  type as (
    select
      typ.oid as id, typ.typname as name, dsc.description,
      typ.typnamespace as "namespaceId", nsp.nspname as "namespaceName",
      typ.typtype as type, typ.typcategory as category,
      typ.typnotnull as "domainIsNotNull",
      (typ.typdefault is not null or typ.typdefaultbin is not null) as "domainHasDefault",
      nullif(typ.typelem, 0) as "arrayItemTypeId",
      (typ.typelem <> 0 and typ.typlen = -1) as "isPgArray",
      nullif(typ.typrelid, 0) as "classId",
      nullif(typ.typbasetype, 0) as "domainBaseTypeId",
      nullif(typ.typtypmod, -1) as "domainTypeModifier",
      case when typ.typtype = 'e' then array(
        select enm.enumlabel from pg_catalog.pg_enum enm
        where enm.enumtypid = typ.oid order by enm.enumsortorder) end as "enumVariants",
      case when typ.typtype = 'r' then (
        select rng.rngsubtype from pg_catalog.pg_range rng where rng.rngtypid = typ.oid) end
        as "rangeSubTypeId"
    from pg_catalog.pg_type typ
    join pg_catalog.pg_namespace nsp on nsp.oid = typ.typnamespace
    left join pg_catalog.pg_description dsc
      on dsc.objoid = typ.oid and dsc.classoid = 'pg_catalog.pg_type'::regclass
    where typ.oid in (select id from type_ids)
  ),
  "constraint" as (
    select distinct on (con.conrelid, con.conkey, con.confrelid, con.confkey)
      con.oid as id, con.conname as name, con.contype as type, con.conrelid as "classId",
      nullif(con.confrelid, 0) as "foreignClassId", dsc.description,
      con.conkey as "keyAttributeNums", con.confkey as "foreignKeyAttributeNums"
    from pg_catalog.pg_constraint con
    join class cls on cls.id = con.conrelid
    left join pg_catalog.pg_description dsc
      on dsc.objoid = con.oid and dsc.classoid = 'pg_catalog.pg_constraint'::regclass
    where cls."namespaceId" in (select id from namespace)
      and (con.contype <> 'f' or con.confrelid in (
        select id from class where "namespaceId" in (select id from namespace)))
      and con.contype in ('f', 'p', 'u')
    order by con.conrelid, con.conkey, con.confrelid, con.confkey, con.conname
  ),
  -- as v4 reads indexes for --no-ignore-indexes: live, not exclusion constraints, not partial
  index as (
    select idx.indrelid as "classId", idx.indkey::int2[] as "attributeNums"
    from pg_catalog.pg_index idx
    where idx.indrelid in (select id from class)
      and idx.indislive is not false and idx.indisexclusion is not true and idx.indpred is null
  ),
  extension as (
    select ext.oid as id, ext.extname as name, ext.extnamespace as "namespaceId",
      ext.extversion as version
    from pg_catalog.pg_extension ext
  )
select json_build_object(
  'serverVersionNum', current_setting('server_version_num')::int,
  'namespace', coalesce((select json_agg(x order by x.name) from namespace x), '[]'),
  'class', coalesce((select json_agg(x order by x."namespaceId", x.name)
    from (select cls.*, class_key.key as "attributesKey" from class cls join class_key using (id)) x), '[]'),
  'type', coalesce((select json_agg(x order by x."namespaceId", x.name) from type x), '[]'),
  'constraint', coalesce((select json_agg(x) from "constraint" x), '[]'),
  'procedure', coalesce((select json_agg(x order by x."namespaceId", x.name) from procedure x), '[]'),
  'extension', coalesce((select json_agg(x order by x.name) from extension x), '[]'),
  'index', coalesce((select json_agg(x) from index x), '[]')
)::text as introspection,
  coalesce((select json_agg(x order by x."classId", x.num) from attribute x), '[]')::text as attributes
`;
