// Serves the GraphiQL page and its browser assets from public/ so the IDE works offline: no file
// is ever loaded from a CDN. The bundles of graphiql, react and react-dom are vendored into
// public/vendor by scripts/vendor-browser.js (those packages are only devDependencies).
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Router } from 'express';
import { loadExpress } from './express';
import { devTokenPath } from './dev-token';

export interface GraphiqlRouterOptions {
  /** Path of the GraphQL HTTP endpoint the page POSTs to, e.g. `/graphql`. */
  graphqlRoute: string;
  /** Path the page itself is served at, e.g. `/graphiql`. */
  graphiqlRoute: string;
  /** Server-sent events stream of schema changes. Defaults to `<graphqlRoute>/stream` in watch mode. */
  streamRoute?: string;
  watch: boolean;
  /** WebSocket URL (absolute, or a path on this host) for `subscription` operations. */
  subscriptionsUrl?: string;
  /** Show the dev identity panel, which POSTs to `<graphqlRoute>/dev-token`. */
  devTokens?: boolean;
  /**
   * Offer the Explain toggle (v4's `allowExplain`): true, or decided per page request as the
   * GraphQL route decides per request (a function of the request).
   */
  allowExplain?: boolean | ((req: Request) => boolean | Promise<boolean>);
}

/** Page configuration handed to public/graphiql.js. */
export interface GraphiqlPageConfig {
  graphqlRoute: string;
  streamRoute: string | null;
  subscriptionsUrl: string | null;
  devTokenRoute: string | null;
  watch: boolean;
  /** Whether the GraphQL route answers `X-PostGraphile-Explain: on` with the SQL and its plans. */
  allowExplain: boolean;
}

export const ASSETS_PREFIX = '/_forum-dev/assets';

interface Asset {
  file: string;
  type: string;
  /** Versioned vendor files never change under the same URL. */
  immutable: boolean;
}

/** public/ sits at the package root: two levels above src/http, three above dist/src/http. */
function publicDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'public');
    if (fs.existsSync(path.join(candidate, 'graphiql.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`public/graphiql.html not found above ${__dirname}`);
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The page's own files in public/, served as they are. */
const PAGE_FILES = ['graphiql.js', 'graphiql-identity.js', 'graphiql-notices.js', 'graphiql-explain.js', 'graphiql.css'];

/** URL path (below ASSETS_PREFIX) -> file, built once per router. */
function assetTable(pub: string): Map<string, Asset> {
  const table = new Map<string, Asset>();
  const vendorDir = path.join(pub, 'vendor');
  const manifest = JSON.parse(fs.readFileSync(path.join(vendorDir, 'manifest.json'), 'utf8')) as
    Record<string, { version: string; files: string[] }>;
  for (const [pkg, { version, files }] of Object.entries(manifest)) {
    for (const name of files) {
      const rel = `${pkg}@${version}/${name}`;
      table.set(`/${rel}`, { file: path.join(vendorDir, rel), type: name.endsWith('.css') ? CSS : JS, immutable: true });
    }
  }
  for (const name of PAGE_FILES) {
    table.set(`/${name}`, { file: path.join(pub, name), type: name.endsWith('.css') ? CSS : JS, immutable: false });
  }
  return table;
}

function assetUrl(table: Map<string, Asset>, pkg: string, name: string): string {
  for (const key of table.keys()) {
    if (key.startsWith(`/${pkg}@`) && key.endsWith(`/${name}`)) return ASSETS_PREFIX + key;
  }
  throw new Error(`no asset ${pkg}/${name}`);
}

/** JSON that is safe inside a <script> element: no `</script>`, `<!--` or line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function pageConfig(opts: GraphiqlRouterOptions): GraphiqlPageConfig {
  const streamRoute = opts.streamRoute ?? (opts.watch ? `${opts.graphqlRoute.replace(/\/$/, '')}/stream` : undefined);
  return {
    graphqlRoute: opts.graphqlRoute,
    streamRoute: streamRoute ?? null,
    subscriptionsUrl: opts.subscriptionsUrl ?? null,
    devTokenRoute: opts.devTokens ? devTokenPath(opts.graphqlRoute) : null,
    watch: opts.watch,
    allowExplain: opts.allowExplain === true,
  };
}

function renderPage(template: string, table: Map<string, Asset>, config: GraphiqlPageConfig): string {
  const values: Record<string, string> = {
    CONFIG: scriptSafeJson(config),
    REACT_JS: assetUrl(table, 'react', 'react.production.min.js'),
    REACT_DOM_JS: assetUrl(table, 'react-dom', 'react-dom.production.min.js'),
    GRAPHIQL_JS: assetUrl(table, 'graphiql', 'graphiql.min.js'),
    GRAPHIQL_CSS: assetUrl(table, 'graphiql', 'graphiql.min.css'),
    GRAPHQL_WS_JS: assetUrl(table, 'graphql-ws', 'graphql-ws.min.js'),
    EXPLORER_JS: assetUrl(table, '@graphiql/plugin-explorer', 'index.umd.js'),
    EXPLORER_CSS: assetUrl(table, '@graphiql/plugin-explorer', 'style.css'),
    PAGE_JS: `${ASSETS_PREFIX}/graphiql.js`,
    IDENTITY_JS: `${ASSETS_PREFIX}/graphiql-identity.js`,
    NOTICES_JS: `${ASSETS_PREFIX}/graphiql-notices.js`,
    EXPLAIN_JS: `${ASSETS_PREFIX}/graphiql-explain.js`,
    PAGE_CSS: `${ASSETS_PREFIX}/graphiql.css`,
  };
  // A function replacer so `$` in values is never treated as a replacement pattern.
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

export function graphiqlRouter(opts: GraphiqlRouterOptions): Router {
  return graphiqlRoutes(opts)();
}

/**
 * GraphiQL's page and asset routes, made by the function returned: the page is rendered now, so
 * a missing template fails at startup, while express is loaded only when the routes are made.
 */
export function graphiqlRoutes(opts: GraphiqlRouterOptions): () => Router {
  const pub = publicDir();
  const table = assetTable(pub);
  const config = pageConfig(opts);
  const templatePath = path.join(pub, 'graphiql.html');
  // The page is rendered per request in watch mode so edits to public/ show up on reload.
  const cached = new Map<boolean, string>();
  const page = (allowExplain: boolean) => {
    let text = cached.get(allowExplain);
    if (text && !opts.watch) return text;
    text = renderPage(fs.readFileSync(templatePath, 'utf8'), table, { ...config, allowExplain });
    cached.set(allowExplain, text);
    return text;
  };
  page(config.allowExplain); // fail at startup, not on the first request, if the template is missing

  return () => graphiqlExpressRouter(opts, config, table, page);
}

function graphiqlExpressRouter(
  opts: GraphiqlRouterOptions, config: ReturnType<typeof pageConfig>, table: ReturnType<typeof assetTable>, page: (allowExplain: boolean) => string,
): Router {
  const router = loadExpress().Router();
  router.get(opts.graphiqlRoute, async (req, res, next) => {
    let allowExplain = config.allowExplain;
    try {
      if (typeof opts.allowExplain === 'function') allowExplain = !!(await opts.allowExplain(req));
    } catch (e) {
      return next(e);
    }
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
    res.send(page(allowExplain));
  });
  router.get(`${ASSETS_PREFIX}/*asset`, (req, res, next) => {
    const asset = table.get(req.path.slice(ASSETS_PREFIX.length));
    if (!asset) return next();
    res.sendFile(
      asset.file,
      {
        headers: {
          'Content-Type': asset.type,
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        },
        // sendFile would otherwise overwrite Cache-Control with its own max-age.
        cacheControl: false,
      },
      (err) => {
        if (err && !res.headersSent) next(err);
      },
    );
  });
  return router;
}
