// express is loaded when first needed, not at start-up: loading it (its body parsers and their
// dependencies) takes about 70 ms, and the first and most common request, a JSON POST to the
// GraphQL route, is answered without it (see fastGraphqlPost in routes.ts).
import type Express from 'express';

let loaded: typeof Express | undefined;

export function loadExpress(): typeof Express {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('express') as typeof Express);
}
