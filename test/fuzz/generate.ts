// GraphQL documents generated from a schema with a seeded PRNG, so any failure is reproducible
// from its seed and index: random fields, arguments of the right and wrong types, nesting,
// aliases, fragments, variables, and garbage (token soup and mutated valid documents).
import {
  getNamedType, getNullableType, isEnumType, isInputObjectType, isInterfaceType, isLeafType, isListType,
  isNonNullType, isObjectType, isScalarType, isUnionType, type GraphQLArgument, type GraphQLField,
  type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';

export interface FuzzRequest {
  query: string;
  variables?: Record<string, unknown>;
  /** What kind of document this is, for the report. */
  kind: 'valid' | 'wrong-args' | 'variables' | 'mutation' | 'fragments' | 'garbage' | 'mutated';
}

/** mulberry32: small, fast and good enough for test input; the same seed gives the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '', 'a', 'hello world', `'; drop table forum_example.post; --`, '" or 1=1 --', '\u0000', 'a\u0000b', '💥🐘', '\\', '$1',
  '%', '_', '1e999', '-0', 'NaN', 'null', 'true', '2024-02-30', '2024-01-01T00:00:00Z', '99999-12-31', 'x'.repeat(3000),
  '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '{"a":1}', '[1,2', 'WyJwb3N0cyIsMV0=', 'WyJuYXR1cmFsIiwxXQ==',
];
const NUMBERS = [0, 1, -1, 2, 5, 10, 1000, 1001, 2147483647, 2147483648, -2147483649, 1e20, 1.5, -0.5, Number.MAX_SAFE_INTEGER];

export function createGenerator(schema: GraphQLSchema, seed: number) {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => rand() < p;
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  const nodeTypes = Object.values(schema.getTypeMap()).filter(
    (t) => isObjectType(t) && !t.name.startsWith('__') && 'nodeId' in t.getFields(),
  ).map((t) => t.name);

  function scalarLiteral(name: string, wrong: boolean): string {
    if (wrong) return pick(['"x"', '1', '1.5', 'true', 'null', 'NOPE', '[1]', '{a: 1}', `"${'9'.repeat(40)}"`]);
    switch (name) {
      case 'Int': return String(pick(NUMBERS.filter((n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31)));
      case 'Float': return String(pick(NUMBERS));
      case 'Boolean': return pick(['true', 'false']);
      case 'Cursor': return JSON.stringify(pick([b64(JSON.stringify(['natural', int(10)])), b64(JSON.stringify(['primary_key_asc', [int(10)]])), pick(STRINGS)]));
      case 'ID': return JSON.stringify(pick([b64(JSON.stringify([pick(nodeTypes.length ? nodeTypes : ['x']), int(6)])), pick(STRINGS)]));
      case 'BigInt': case 'BigFloat': return JSON.stringify(pick(['1', '-1', '9'.repeat(40), '1.5', 'x', '']));
      case 'Datetime': case 'Date': case 'Time': return JSON.stringify(pick(['2024-01-01', '2024-01-01T10:00:00Z', '2024-13-45', 'now', '', 'infinity', '99999-01-01']));
      default: return JSON.stringify(pick(STRINGS));
    }
  }

  function inputLiteral(type: GraphQLInputType, depth: number, wrong: boolean): string {
    const t = getNullableType(type) as GraphQLInputType;
    if (isListType(t)) return `[${Array.from({ length: int(3) }, () => inputLiteral(t.ofType, depth + 1, wrong && chance(0.5))).join(', ')}]`;
    if (isEnumType(t)) return wrong && chance(0.5) ? pick(['NOPE', '"ASC"', '1']) : pick(t.getValues()).name;
    if (isInputObjectType(t)) {
      if (depth > 3) return '{}';
      const fields = Object.values(t.getFields());
      const chosen = fields.filter((f) => isNonNullType(f.type) || chance(0.3));
      const parts = chosen.map((f) => `${f.name}: ${inputLiteral(f.type, depth + 1, wrong && chance(0.3))}`);
      if (wrong && chance(0.3)) parts.push(`nope${int(9)}: 1`);
      return `{${parts.join(', ')}}`;
    }
    return scalarLiteral(isScalarType(t) ? t.name : 'String', wrong);
  }

  function inputValue(type: GraphQLInputType, depth: number): unknown {
    const t = getNullableType(type) as GraphQLInputType;
    if (isListType(t)) return Array.from({ length: int(3) }, () => inputValue(t.ofType, depth + 1));
    if (isEnumType(t)) return chance(0.8) ? pick(t.getValues()).name : pick(STRINGS);
    if (isInputObjectType(t)) {
      if (depth > 3) return {};
      return Object.fromEntries(Object.values(t.getFields()).filter((f) => isNonNullType(f.type) || chance(0.3)).map((f) => [f.name, inputValue(f.type, depth + 1)]));
    }
    if (chance(0.1)) return pick([null, 1, 'x', true, [], {}, 1e300]);
    const name = isScalarType(t) ? t.name : 'String';
    if (name === 'Int' || name === 'Float') return pick(NUMBERS);
    if (name === 'Boolean') return chance(0.5);
    return JSON.parse(scalarLiteral(name, false));
  }

  interface Ctx { wrong: boolean; vars: Map<string, { type: string; value: unknown }>; useVars: boolean; fragments: string[] }

  function typeString(type: GraphQLInputType): string {
    return String(type);
  }

  function args(field: GraphQLField<unknown, unknown>, ctx: Ctx): string {
    const chosen = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) || chance(0.35));
    if (!chosen.length) return '';
    const parts = chosen.map((a) => {
      if (ctx.useVars && chance(0.5)) {
        const name = `v${ctx.vars.size}`;
        ctx.vars.set(name, { type: typeString(a.type), value: inputValue(a.type, 0) });
        return `${a.name}: $${name}`;
      }
      return `${a.name}: ${inputLiteral(a.type, 0, ctx.wrong && chance(0.4))}`;
    });
    return `(${parts.join(', ')})`;
  }

  function selection(type: GraphQLNamedType, depth: number, ctx: Ctx): string {
    if (isUnionType(type)) {
      return `__typename ${type.getTypes().slice(0, 2).map((t) => `... on ${t.name} { ${selection(t, depth + 1, ctx)} }`).join(' ')}`;
    }
    if (!isObjectType(type) && !isInterfaceType(type)) return '';
    const fields = Object.values(type.getFields());
    const count = 1 + int(depth < 2 ? 4 : 2);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const f = pick(fields);
      const named = getNamedType(f.type);
      const alias = chance(0.15) ? `a${int(1000)}: ` : '';
      if (isLeafType(named)) {
        parts.push(`${alias}${f.name}${args(f, ctx)}`);
      } else if (depth < 5 && chance(0.8)) {
        const inner = selection(named, depth + 1, ctx) || '__typename';
        parts.push(`${alias}${f.name}${args(f, ctx)} { ${inner} }`);
      }
    }
    if (chance(0.1)) parts.push('__typename');
    if (isObjectType(type) && chance(0.1)) {
      const name = `F${ctx.fragments.length}`;
      ctx.fragments.push(`fragment ${name} on ${type.name} { ${parts.join(' ') || '__typename'} }`);
      return `...${name}`;
    }
    return parts.join(' ') || '__typename';
  }

  function operation(kind: FuzzRequest['kind']): FuzzRequest {
    const ctx: Ctx = { wrong: kind === 'wrong-args', vars: new Map(), useVars: kind === 'variables', fragments: [] };
    const mutation = kind === 'mutation' && schema.getMutationType();
    const root = (mutation || schema.getQueryType()) as GraphQLObjectType;
    const body = selection(root, 0, ctx);
    const defs = ctx.vars.size ? `(${[...ctx.vars].map(([n, v]) => `$${n}: ${v.type}`).join(', ')})` : '';
    const op = `${mutation ? 'mutation' : 'query'} Fuzz${defs} { ${body} }`;
    const variables = ctx.vars.size ? Object.fromEntries([...ctx.vars].map(([n, v]) => [n, v.value])) : undefined;
    return { query: [op, ...ctx.fragments].join('\n'), variables, kind };
  }

  const TOKENS = ['{', '}', '(', ')', '[', ']', ':', '!', '$', '@', '...', '=', '|', '&', ',', '"', '"""', '#', '\n',
    'query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'null', '1', '-1.5e3', '"s"', '__typename', '__schema',
    'first', 'nodes', 'allPosts', 'node', 'nodeId', '\u0000', '\ud83d'];

  function garbage(): FuzzRequest {
    const names = Object.keys(schema.getQueryType()!.getFields());
    const n = 1 + int(60);
    const parts = Array.from({ length: n }, () => (chance(0.3) ? pick(names) : pick(TOKENS)));
    return { query: parts.join(chance(0.5) ? ' ' : ''), kind: 'garbage' };
  }

  function mutated(): FuzzRequest {
    const base = operation(pick(['valid', 'wrong-args', 'fragments'] as const));
    const chars = [...base.query];
    for (let i = 1 + int(4); i > 0; i--) {
      const at = int(chars.length + 1);
      const what = int(3);
      if (what === 0) chars.splice(at, 1);
      else if (what === 1) chars.splice(at, 0, pick(['{', '}', '(', ')', '$', '"', ':', '!', '@', ' ', '\\', '\u0000']));
      else chars.splice(at, 1, pick(['{', '}', ':', '"']));
    }
    return { query: chars.join(''), variables: base.variables, kind: 'mutated' };
  }

  /** The next document. */
  return function next(): FuzzRequest {
    const r = rand();
    if (r < 0.3) return operation('valid');
    if (r < 0.45) return operation('wrong-args');
    if (r < 0.6) return operation('variables');
    if (r < 0.7) return operation('mutation');
    if (r < 0.8) return operation('fragments');
    if (r < 0.9) return garbage();
    return mutated();
  };
}
