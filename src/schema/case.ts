// Word casing with PostGraphile v4's exact results: it splits words the way lodash does
// (camel humps, digits, acronyms) and keeps leading/trailing underscores untouched.
import pluralizeLib from 'pluralize';

const rsLower = 'a-z\\xdf-\\xf6\\xf8-\\xff';
const rsUpper = 'A-Z\\xc0-\\xd6\\xd8-\\xde';
const rsBreak =
  '\\xac\\xb1\\xd7\\xf7\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\xbf\\u2000-\\u206f \\t\\x0b\\f\\xa0\\ufeff\\n\\r\\u2028\\u2029\\u1680\\u180e\\u00a0\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006\\u2007\\u2008\\u2009\\u200a\\u202f\\u205f\\u3000';
const rsMisc = `[^\\ud800-\\udfff${rsBreak}\\d${rsLower}${rsUpper}]`;
const rsMiscLower = `(?:[${rsLower}]|${rsMisc})`;
const rsMiscUpper = `(?:[${rsUpper}]|${rsMisc})`;
const rsOptContrLower = "(?:['\\u2019](?:d|ll|m|re|s|t|ve))?";
const rsOptContrUpper = "(?:['\\u2019](?:D|LL|M|RE|S|T|VE))?";
const reUnicodeWord = new RegExp(
  [
    `[${rsUpper}]?[${rsLower}]+${rsOptContrLower}(?=[${rsBreak}]|[${rsUpper}]|$)`,
    `${rsMiscUpper}+${rsOptContrUpper}(?=[${rsBreak}]|[${rsUpper}]${rsMiscLower}|$)`,
    `[${rsUpper}]?${rsMiscLower}+${rsOptContrLower}`,
    `[${rsUpper}]+${rsOptContrUpper}`,
    '\\d*(?:1ST|2ND|3RD|(?![123])\\dTH)(?=\\b|[a-z_])',
    '\\d*(?:1st|2nd|3rd|(?![123])\\dth)(?=\\b|[A-Z_])',
    '\\d+',
  ].join('|'),
  'g',
);
const reAsciiWord = /[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/g;
const reHasUnicodeWord = /[a-z][A-Z]|[A-Z]{2}[a-z]|[0-9][a-zA-Z]|[a-zA-Z][0-9]|[^a-zA-Z0-9 ]/;

function words(str: string): string[] {
  const re = reHasUnicodeWord.test(str) ? reUnicodeWord : reAsciiWord;
  return str.replace(/['\u2019]/g, '').match(re) ?? [];
}

const upperFirstRaw = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);

function camelCaseRaw(str: string): string {
  const deburred = str.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return words(deburred).reduce((acc, word, i) => {
    const w = word.toLowerCase();
    return acc + (i ? upperFirstRaw(w) : w);
  }, '');
}

function insideUnderscores(fn: (s: string) => string): (s: string) => string {
  return (str) => {
    const m = str.match(/^(_*)([\s\S]*?)(_*)$/)!;
    return `${m[1]}${fn(m[2])}${m[3]}`;
  };
}

/** Names repeat constantly while a schema is built (and rebuilt in watch mode): remember them. */
function memo(fn: (s: string) => string): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    let r = seen.get(s);
    if (r === undefined) {
      if (seen.size > 50_000) seen.clear();
      r = fn(s);
      seen.set(s, r);
    }
    return r;
  };
}

export const camelCase = memo(insideUnderscores(camelCaseRaw));
export const upperFirst = memo(insideUnderscores(upperFirstRaw));
export const upperCamelCase = memo((s: string) => upperFirst(camelCase(s)));
export const constantCase = memo(insideUnderscores((str) =>
  str
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/[A-Z]+/g, '_$&')
    .replace(/__+/g, '_')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .replace(/^[0-9]/, '_$&')
    .toUpperCase(),
));
export const pluralize = memo((s: string) => pluralizeLib(s));
export const singularize = memo((s: string) => pluralizeLib.singular(s));

/** A leading digit gets a `_` prefix and leading `__` (reserved for introspection) becomes `_`. */
export function coerceToGraphQLName(name: string): string {
  const prefixed = /^[0-9]/.test(name) ? `_${name}` : name;
  return prefixed.replace(/^__+/g, '_');
}
