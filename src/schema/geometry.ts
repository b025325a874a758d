// PostgreSQL's geometric types as v4 exposes them with `graphileBuildOptions.pgGeometricTypes`:
// line, lseg, box, path, polygon and circle as objects made of `Point`s (without the option they
// are strings, like any type v4 has no mapping for). Descriptions are our own words.
import {
  GraphQLBoolean, GraphQLFloat, GraphQLInputObjectType, GraphQLList, GraphQLObjectType,
  type GraphQLInputType, type GraphQLOutputType,
} from 'graphql';
import { GEOMETRY_OID } from '../introspection/oids';

export type GeometryTypes = Record<string, { output: GraphQLOutputType; input: GraphQLInputType }>;

/** The object and input types of each geometric type, by OID. */
export function geometryTypes(Point: GraphQLObjectType, PointInput: GraphQLInputObjectType): GeometryTypes {
  const twoPoints = (name: string, description: string) => ({
    output: new GraphQLObjectType({ name, description, fields: { a: { type: Point }, b: { type: Point } } }),
    input: new GraphQLInputObjectType({ name: `${name}Input`, description, fields: { a: { type: PointInput }, b: { type: PointInput } } }),
  });
  const openDescription = 'True when the path is open (its ends are not joined), false when it is closed.';
  return {
    [GEOMETRY_OID.line]: twoPoints('Line', 'An infinite straight line through the points `a` and `b`.'),
    [GEOMETRY_OID.lseg]: twoPoints('LineSegment', 'A line segment from point `a` to point `b`.'),
    [GEOMETRY_OID.box]: twoPoints('Box', 'A rectangle given by two opposite corners, `a` and `b`.'),
    [GEOMETRY_OID.path]: {
      output: new GraphQLObjectType({
        name: 'Path', description: 'A path through a list of points, open or closed.',
        fields: { points: { type: new GraphQLList(Point) }, isOpen: { type: GraphQLBoolean, description: openDescription } },
      }),
      input: new GraphQLInputObjectType({
        name: 'PathInput', description: 'A path through a list of points, open or closed.',
        fields: { points: { type: new GraphQLList(PointInput) }, isOpen: { type: GraphQLBoolean, description: openDescription } },
      }),
    },
    [GEOMETRY_OID.polygon]: {
      output: new GraphQLObjectType({ name: 'Polygon', fields: { points: { type: new GraphQLList(Point) } } }),
      input: new GraphQLInputObjectType({ name: 'PolygonInput', fields: { points: { type: new GraphQLList(PointInput) } } }),
    },
    [GEOMETRY_OID.circle]: {
      output: new GraphQLObjectType({ name: 'Circle', fields: { center: { type: Point }, radius: { type: GraphQLFloat } } }),
      input: new GraphQLInputObjectType({ name: 'CircleInput', fields: { center: { type: PointInput }, radius: { type: GraphQLFloat } } }),
    },
  };
}
