// Watches the smart tags file (`--tags-file`, `postgraphile.tags.json5`) in watch mode: a save,
// a new file or a deleted one asks for a reload, which reads the file again.
import path from 'node:path';
import { watch } from 'chokidar';

export function watchTagsFile(given: string, onChange: () => void): { close(): Promise<void> } {
  const file = path.resolve(given);
  // The folder is watched, filtered to the file, so a file created after the start is seen too.
  const watcher = watch(path.dirname(file), {
    ignoreInitial: true,
    depth: 0,
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
    ignored: (p) => p !== file && p !== path.dirname(file),
  });
  const changed = (p: string) => {
    if (path.resolve(p) === path.resolve(file)) onChange();
  };
  watcher.on('add', changed).on('change', changed).on('unlink', changed);
  return { close: () => watcher.close() };
}
