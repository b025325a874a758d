// The server module is loaded at run time so the CLI can be built and tested on its own; this is
// the contract it is expected to export.

import type { Options } from '../options';
import type { PrimaryLink } from '../realtime/relay';

export interface RunningServer {
  /** Base URL (or the GraphQL endpoint URL) the server listens on. */
  url: string;
  close(): Promise<void>;
}

/** `primary` is given in a --cluster-workers worker whose primary LISTENs and watches for it. */
export type StartServer = (options: Options, primary?: PrimaryLink) => Promise<RunningServer>;

export function loadStartServer(): StartServer {
  let mod: { startServer?: StartServer };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../server') as { startServer?: StartServer };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes('src/server')) {
      throw new Error(`the GraphQL server module is missing next to ${__dirname} (run 'npm run build')`);
    }
    throw err;
  }
  if (typeof mod.startServer !== 'function') throw new Error('src/server does not export startServer');
  return mod.startServer;
}
