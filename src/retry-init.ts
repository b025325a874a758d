// v4's `retryOnInitFail` for the library: when building the first schema fails (database not up
// yet), try again instead of failing. `true` retries with v4's backoff (100 ms × attempts², at
// most 30 s); a function `(error, attempts) => boolean | Promise<boolean>` decides (and waits)
// itself, and false gives up with the error.
export type RetryOnInitFail = boolean | ((error: Error, attempts: number) => boolean | Promise<boolean>);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withInitRetry<T>(
  build: () => Promise<T>, retry: RetryOnInitFail | undefined, stopped: () => boolean, log?: (line: string) => void,
): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await build();
    } catch (e) {
      if (!retry || stopped()) throw e;
      const delay = Math.min(100 * attempts ** 2, 30_000);
      if (typeof retry === 'function') {
        const started = Date.now();
        if (!(await retry(e as Error, attempts))) throw e;
        // as v4: a function that did not wait gets the default wait, not a tight loop
        if (Date.now() - started < 50) await sleep(delay);
      } else {
        log?.(`building the initial schema failed (${(e as Error).message}); trying again in ${delay} ms`);
        await sleep(delay);
      }
      if (stopped()) throw e;
    }
  }
}
