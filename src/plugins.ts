// v4 plugins that forum-dev builds in. Its engine compiles GraphQL to SQL, so graphile-build
// plugins cannot run; instead the names v4 users pass to `--append-plugins` (or the plugin
// objects they pass to `appendPlugins`) turn on the built-in equivalent, and anything else is
// refused rather than silently ignored.

export class PluginError extends Error {
  override name = 'PluginError';
}

interface BuiltinPlugin {
  /** The npm package name v4 users pass. */
  name: string;
  /** The exported plugin function's name, to recognise the object when it is passed. */
  exportName: string;
}

export const builtinPlugins: readonly BuiltinPlugin[] = [
  { name: '@graphile-contrib/pg-simplify-inflector', exportName: 'PgSimplifyInflectorPlugin' },
  { name: 'postgraphile-plugin-connection-filter', exportName: 'PostGraphileConnectionFilterPlugin' },
];

export const SIMPLIFY_INFLECTOR = '@graphile-contrib/pg-simplify-inflector';

const builtinList = () => builtinPlugins.map((p) => p.name).join(', ');

function refuse(what: string): never {
  throw new PluginError(
    `${what} is not built in, and forum-dev cannot load graphile-build plugins (it compiles GraphQL to SQL itself). ` +
      `Built in: ${builtinList()}.`,
  );
}

/**
 * The built-in plugin an `appendPlugins` entry stands for: a package name (as v4's CLI takes), or
 * the plugin itself (a function, or a module whose `default` is one), recognised by its name.
 */
export function pluginName(entry: unknown): string {
  if (typeof entry === 'string') {
    const name = entry.trim();
    if (!builtinPlugins.some((p) => p.name === name)) refuse(`The plugin '${name}'`);
    return name;
  }
  const fn = typeof entry === 'function' ? entry
    : entry && typeof entry === 'object' && typeof (entry as { default?: unknown }).default === 'function'
      ? (entry as { default: unknown }).default : undefined;
  if (typeof fn === 'function') {
    const found = builtinPlugins.find((p) => p.exportName === fn.name);
    if (found) return found.name;
    refuse(`The plugin ${fn.name ? `'${fn.name}'` : '(an anonymous function)'}`);
  }
  return refuse(`The appendPlugins entry ${JSON.stringify(entry) ?? String(entry)}`);
}

/** Names of the built-in plugins `entries` stand for, each once, in order; throws on any other. */
export function pluginNames(entries: readonly unknown[]): string[] {
  return [...new Set(entries.map(pluginName))];
}
