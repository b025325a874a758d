#!/usr/bin/env node
// Copies the browser bundles GraphiQL needs from the devDependencies into public/vendor, with
// each package's licence and a manifest the server reads, so the published package serves the
// IDE without depending on graphiql, react and react-dom (about 30 MB) at run time.
//
//   node scripts/vendor-browser.js          write public/vendor
//   node scripts/vendor-browser.js --check  exit 1 when public/vendor differs from what it would write
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'public', 'vendor');

/** Package -> the files the page loads (the page's template names them by their base name). */
const bundles = {
  react: ['umd/react.production.min.js'],
  'react-dom': ['umd/react-dom.production.min.js'],
  graphiql: ['graphiql.min.js', 'graphiql.min.css'],
  'graphql-ws': ['umd/graphql-ws.min.js'],
  // The explorer (clickable query builder) plugin; its UMD build reads the globals React,
  // GraphiQL.React and GraphiQL.GraphQL, so the page loads it after graphiql.
  '@graphiql/plugin-explorer': ['dist/index.umd.js', 'dist/style.css'],
};
/**
 * Packages that ship no licence file of their own: the licence texts that cover the bundle,
 * as [package whose file holds it, what it covers]. The explorer plugin is published from the
 * graphql/graphiql repository (MIT, the graphiql package's LICENSE) and bundles graphiql-explorer.
 */
const licencesFrom = {
  '@graphiql/plugin-explorer': [
    ['graphiql', '@graphiql/plugin-explorer (github.com/graphql/graphiql, MIT)'],
    ['graphiql-explorer', 'graphiql-explorer, bundled in it (MIT)'],
  ],
};
const licenceNames = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'];

// The source maps are not shipped, so the comments that point at them go too.
const withoutSourceMapComment = (text) =>
  text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/\n?\/\*# sourceMappingURL=\S+\s*\*\/\s*$/, '\n');

function licenceFile(dir) {
  const name = licenceNames.find((n) => fs.existsSync(path.join(dir, n)));
  return name && fs.readFileSync(path.join(dir, name), 'utf8');
}

function licenceText(pkg, dir) {
  const own = licenceFile(dir);
  if (own) return own;
  const from = licencesFrom[pkg];
  if (!from) throw new Error(`${pkg} has no licence file to ship beside its bundle`);
  return from.map(([source, covers]) => {
    // resolved from the package itself, which may have its own copy below it
    const sourceDir = path.dirname(require.resolve(`${source}/package.json`, { paths: [dir, root] }));
    const text = licenceFile(sourceDir);
    if (!text) throw new Error(`${source} has no licence file (needed for ${pkg})`);
    return `${covers}:\n\n${text.trim()}\n`;
  }).join('\n');
}

/** Every file of public/vendor, by its path below it, as this script would write it. */
function expected() {
  const files = new Map();
  const manifest = {};
  for (const [pkg, rels] of Object.entries(bundles)) {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const base = `${pkg}@${version}`;
    files.set(`${base}/LICENSE`, licenceText(pkg, dir));
    manifest[pkg] = { version, files: [] };
    for (const rel of rels) {
      const name = path.basename(rel);
      files.set(`${base}/${name}`, withoutSourceMapComment(fs.readFileSync(path.join(dir, rel), 'utf8')));
      manifest[pkg].files.push(name);
    }
  }
  files.set('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
  return files;
}

function existing() {
  const files = new Map();
  const walk = (dir, prefix) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), rel);
      else files.set(rel, fs.readFileSync(path.join(dir, e.name), 'utf8'));
    }
  };
  walk(out, '');
  return files;
}

function main() {
  const want = expected();
  if (process.argv.includes('--check')) {
    const have = existing();
    const stale = [...new Set([...want.keys(), ...have.keys()])].filter((k) => want.get(k) !== have.get(k));
    if (stale.length) {
      console.error(`public/vendor is out of date (${stale.join(', ')}); run: node scripts/vendor-browser.js`);
      process.exit(1);
    }
    return;
  }
  fs.rmSync(out, { recursive: true, force: true });
  for (const [rel, text] of want) {
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.writeFileSync(path.join(out, rel), text);
  }
  console.log(`wrote ${want.size} files to ${path.relative(root, out)}`);
}

module.exports = { expected };
if (require.main === module) main();
