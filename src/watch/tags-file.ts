// Watches the smart tags file (`--tags-file`, `postgraphile.tags.json5`) in watch mode: a save,
// a new file or a deleted one asks for a reload, which reads the file again.
import fs from 'node:fs';
import path from 'node:path';

/** How often the file's status is read; a reload follows a change within about this long. */
const POLL_MS = 100;

export function watchTagsFile(given: string, onChange: () => void): { close(): Promise<void> } {
  const file = path.resolve(given);
  // One file, polled: a change, a creation and a removal all show in its status, however
  // quickly they follow each other (an event-based watcher can miss a removal made while it
  // settles a write, or while it is still scanning the folder).
  let timer: NodeJS.Timeout | undefined;
  const changed = (now: fs.Stats, before: fs.Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    // a save can be several writes: settle for 50 ms
    clearTimeout(timer);
    timer = setTimeout(onChange, 50);
  };
  fs.watchFile(file, { interval: POLL_MS, persistent: false }, changed);
  return {
    close: async () => {
      clearTimeout(timer);
      fs.unwatchFile(file, changed);
    },
  };
}
