// Node ids as v4 encodes them: base64 of `["<node alias>", ...primary key values]`. The alias
// of each table is the schema's decision (SchemaPlan.aliasByClassId).

export function encodeNodeId(alias: string, keys: unknown[]): string {
  return Buffer.from(JSON.stringify([alias, ...keys])).toString('base64');
}

/** Decodes a node id; throws a clear error (never reaching SQL) when it is not one of ours. */
export function decodeNodeId(nodeId: string): { alias: string; keys: unknown[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(String(nodeId), 'base64').toString('utf8'));
  } catch {
    throw new Error('Invalid nodeId: it is not a node identifier issued by this API.');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') {
    throw new Error('Invalid nodeId: it is not a node identifier issued by this API.');
  }
  return { alias: parsed[0], keys: parsed.slice(1) };
}
