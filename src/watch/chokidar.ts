// chokidar is loaded when watch mode first watches a file: a server that never watches does not
// need it, and loading it adds about 9 ms to start-up.
import type * as Chokidar from 'chokidar';

let loaded: typeof Chokidar | undefined;

export function chokidar(): typeof Chokidar {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('chokidar') as typeof Chokidar);
}
