// Geometric values (v4's `pgGeometricTypes`) in SQL: line, lseg, box, path, polygon and circle
// built as the objects v4 makes of their text, and inputs made back into values. Numbers are
// float8 throughout, as v4 reads them (parseFloat of Postgres's text).
import { GEOMETRY_OID } from '../introspection/oids';
import { sql, type SQL } from './fragment';

const GEOMETRY = new Set<string>(Object.values(GEOMETRY_OID));
export const isGeometryOid = (id: string) => GEOMETRY.has(id);

export function pointJson(p: SQL): SQL {
  return sql`json_build_object('x', (${p})[0], 'y', (${p})[1])`;
}

/** The points of a path or polygon, in order, read from its text `((x,y),…)` or `[(x,y),…]`. */
function pointsJson(expr: SQL): SQL {
  return sql`(select coalesce(json_agg(json_build_object('x', __m[1]::float8, 'y', __m[2]::float8) order by __i), '[]'::json)
    from regexp_matches((${expr})::text, '\\(([^(),]+),([^(),]+)\\)', 'g') with ordinality as __p(__m, __i))`;
}

/**
 * A line `Ax + By + C = 0` as v4 gives it: the points where it crosses the axes, `a` = (-C/A, 0)
 * and `b` = (0, -C/B). A line parallel to an axis does not cross it: v4 computes an infinite (or
 * NaN) coordinate and fails to serialise it, so that point is null with an error. The coordinate
 * leaves SQL as a marker (`{"\u0001float": "Infinity"}`) that execute/json-text.ts turns into
 * that error at the coordinate's path. `+ 0` turns -0 into 0, as JSON.stringify does.
 */
function lineJson(expr: SQL): SQL {
  const coef = sql`string_to_array(btrim((${expr})::text, '{}'), ',')::float8[]`;
  const cross = (divisor: SQL) => sql`case when ${divisor} = 0
      then json_build_object(${sql.raw("E'\\u0001float'")}, case when __l[3] = 0 then 'NaN' when __l[3] < 0 then 'Infinity' else '-Infinity' end)
      else to_json(-__l[3] / ${divisor} + 0) end`;
  return sql`(select json_build_object(
    'a', json_build_object('x', ${cross(sql`__l[1]`)}, 'y', 0),
    'b', json_build_object('x', 0, 'y', ${cross(sql`__l[2]`)}))
    from (select ${coef} as __l) as __c)`;
}

export function geometryOutput(expr: SQL, oid: string): SQL {
  let json: SQL;
  switch (oid) {
    case GEOMETRY_OID.line: json = lineJson(expr); break;
    case GEOMETRY_OID.lseg: case GEOMETRY_OID.box:
      json = sql`json_build_object('a', ${pointJson(sql`(${expr})[0]`)}, 'b', ${pointJson(sql`(${expr})[1]`)})`;
      break;
    case GEOMETRY_OID.path: json = sql`json_build_object('points', ${pointsJson(expr)}, 'isOpen', isopen(${expr}))`; break;
    case GEOMETRY_OID.polygon: json = sql`json_build_object('points', ${pointsJson(expr)})`; break;
    default: json = sql`json_build_object('center', ${pointJson(sql`center(${expr})`)}, 'radius', radius(${expr}))`;
  }
  return sql`(case when (${expr}) is null then null else ${json} end)`;
}

interface PointValue { x: number; y: number }

function point(value: unknown, what: string): SQL {
  const p = value as PointValue | null | undefined;
  if (!p) throw new Error(`A ${what} needs both of its points.`);
  return sql`point(${p.x}::float8, ${p.y}::float8)`;
}

function pointsText(value: unknown, what: string): string {
  const points = value as PointValue[] | null | undefined;
  if (!Array.isArray(points)) throw new Error(`A ${what} needs its points.`);
  return points.map((p) => {
    if (!p) throw new Error(`A ${what} cannot have a null point.`);
    return `(${p.x},${p.y})`;
  }).join(',');
}

/** An input object (`LineInput`, `PathInput`, …) as the geometric value it describes. */
export function geometryInput(o: Record<string, unknown>, oid: string): SQL {
  switch (oid) {
    case GEOMETRY_OID.line: return sql`line(${point(o.a, 'line')}, ${point(o.b, 'line')})`;
    case GEOMETRY_OID.lseg: return sql`lseg(${point(o.a, 'line segment')}, ${point(o.b, 'line segment')})`;
    case GEOMETRY_OID.box: return sql`box(${point(o.a, 'box')}, ${point(o.b, 'box')})`;
    case GEOMETRY_OID.path: {
      const text = pointsText(o.points, 'path');
      return sql`${o.isOpen ? `[${text}]` : `(${text})`}::path`;
    }
    case GEOMETRY_OID.polygon: return sql`${`(${pointsText(o.points, 'polygon')})`}::polygon`;
    default: {
      if (o.radius === null || o.radius === undefined) throw new Error('A circle needs its radius.');
      return sql`circle(${point(o.center, 'circle')}, ${o.radius}::float8)`;
    }
  }
}
