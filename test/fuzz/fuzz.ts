// The schema fuzzer as a script:
//
//   node --import tsx test/fuzz/fuzz.ts [--count 10000] [--seed N] [--concurrency 4] [--url URL]
//
// Without --url it starts a PostgreSQL (TEST_DATABASE_URL, or an embedded one), loads the forum
// example into a fresh database and serves it in this process with the default limits. The seed
// is printed first; pass it back with --seed to replay the same documents. Exits 1 when any
// count that must be zero is not.
import { randomInt } from 'node:crypto';
import { createForumDb, startOurs, type ForumDb, type OurServer } from '../e2e/setup';
import { startEmbedded, type Embedded } from '../helpers/embedded';
import { runFuzz } from './run-fuzz';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const seed = Number(flag('seed') ?? randomInt(2 ** 31));
  const count = Number(flag('count') ?? 10_000);
  const concurrency = Number(flag('concurrency') ?? 4);
  console.log(`fuzz: seed ${seed}, ${count} documents, over HTTP and WebSocket (replay with --seed ${seed})`);
  let embedded: Embedded | undefined;
  let db: ForumDb | undefined;
  let ours: OurServer | undefined;
  let url = flag('url');
  try {
    if (!url) {
      if (!process.env.TEST_DATABASE_URL) {
        embedded = await startEmbedded();
        process.env.TEST_DATABASE_URL = embedded.url;
      }
      db = await createForumDb('fuzz');
      ours = await startOurs(db.url, { simpleSubscriptions: true, websocketOperations: 'all', disableQueryLog: true });
      url = ours.url;
    }
    const started = Date.now();
    const counts = await runFuzz({ url, seed, count, concurrency });
    console.log(JSON.stringify({ ...counts, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
    const bad = counts.crashes + counts.unhandledRejections + counts.http.status5xx + counts.http.notJson + counts.http.unanswered
      + counts.ws.closesByOperations + counts.ws.unanswered;
    return bad ? 1 : 0;
  } finally {
    await ours?.close();
    await db?.drop();
    await embedded?.stop();
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(2);
});
