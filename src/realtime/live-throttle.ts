// Rate limit for live-query re-execution: per key, runs start at least minIntervalMs apart,
// never overlap, and a change that arrives during a run or a wait is never lost (exactly one
// trailing run follows, using the most recently scheduled function).

export interface LiveThrottle {
  /** `run` is told the time (performance.now()) the throttle started it at. */
  schedule(key: string, run: (startedAt: number) => Promise<void>): void;
  cancel(key: string): void;
}

export interface LiveThrottleOptions {
  /** Minimum time between the starts of two runs of one key; default 100 ms (≤ 10 runs/s). */
  minIntervalMs?: number;
  /** Called with a run's rejection; runs that fail do not stop later runs. */
  onError?: (key: string, err: unknown) => void;
}

interface KeyState {
  run: (startedAt: number) => Promise<void>;
  running: boolean;
  pending: boolean;
  cancelled: boolean;
  lastStart: number;
  timer: NodeJS.Timeout | null;
}

export const DEFAULT_LIVE_INTERVAL_MS = 100;

export function createLiveThrottle(opts: LiveThrottleOptions = {}): LiveThrottle {
  const minInterval = Math.max(0, opts.minIntervalMs ?? DEFAULT_LIVE_INTERVAL_MS);
  const states = new Map<string, KeyState>();

  function arm(key: string, st: KeyState): void {
    const wait = Math.max(0, st.lastStart + minInterval - performance.now());
    // Even with no wait, defer a tick so a burst of schedules in one tick becomes one run.
    st.timer = setTimeout(() => start(key, st), wait);
  }

  function start(key: string, st: KeyState): void {
    st.timer = null;
    // Timers may fire a little early by this clock (libuv rounds to milliseconds): wait the rest.
    if (performance.now() < st.lastStart + minInterval) {
      arm(key, st);
      return;
    }
    st.running = true;
    st.pending = false;
    st.lastStart = performance.now();
    let p: Promise<void>;
    try {
      p = Promise.resolve(st.run(st.lastStart));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err) => opts.onError?.(key, err)).finally(() => finish(key, st));
  }

  function finish(key: string, st: KeyState): void {
    st.running = false;
    if (st.cancelled) {
      if (states.get(key) === st) states.delete(key);
      return;
    }
    if (st.pending) {
      arm(key, st);
      return;
    }
    // Idle and past its interval: the next schedule may start at once, so the state can go.
    if (performance.now() - st.lastStart >= minInterval) states.delete(key);
  }

  function schedule(key: string, run: (startedAt: number) => Promise<void>): void {
    let st = states.get(key);
    if (!st) {
      st = { run, running: false, pending: false, cancelled: false, lastStart: -Infinity, timer: null };
      states.set(key, st);
    }
    st.run = run;
    st.cancelled = false;
    if (st.running) st.pending = true;
    else if (!st.timer) arm(key, st);
  }

  function cancel(key: string): void {
    const st = states.get(key);
    if (!st) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = null;
    st.pending = false;
    // A run in flight keeps its state until it settles so a re-schedule cannot overlap it.
    if (st.running) st.cancelled = true;
    else states.delete(key);
  }

  return { schedule, cancel };
}
