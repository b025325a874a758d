// Watch mode under --cluster-workers: the primary installs the event triggers once and applies
// the --watch-sql files; each worker reloads its own schema when the (relayed) notification
// arrives. SQL file errors are announced to every worker's GraphiQL.
import type { Options } from '../options';
import { installTriggers, startSqlFiles } from './reload';

export interface PrimaryWatch {
  /** Whether the triggers are installed (else the workers poll the catalog). */
  triggers: boolean;
  close(): Promise<void>;
}

export async function startPrimaryWatch(
  options: Options, log: (line: string) => void, announce: (event: string, data: unknown) => void,
): Promise<PrimaryWatch> {
  const triggers = await installTriggers(options, log);
  const sqlFiles = await startSqlFiles(options, log, (event, _id, data) => announce(event, data));
  return { triggers, close: async () => void (await sqlFiles?.close()) };
}
