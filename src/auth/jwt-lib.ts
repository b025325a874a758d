// jsonwebtoken is loaded with the first token verified or signed: an API that never sees one
// does not need it, and loading it adds about 16 ms to start-up.
import type * as Jwt from 'jsonwebtoken';

let loaded: typeof Jwt | undefined;

export function jwtLib(): typeof Jwt {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('jsonwebtoken') as typeof Jwt);
}
