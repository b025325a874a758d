// One load run of one workload against one target with autocannon (from bench/compat, so it
// stays out of the project's dependencies). Every response is checked for HTTP 200 and the
// absence of GraphQL errors; one in SAMPLE_EVERY is parsed and its data checked against the
// workload's expectations for the variables it was sent with. A run with any failure throws:
// it is not a result.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, type Target } from './compare-targets';
import { normalize, type Vars, type Workload } from './compare-workloads';

const SAMPLE_EVERY = 50;
/** Distinct requests per workload; request i uses bodies[i % BODIES]. */
const BODIES = 1024;

type Autocannon = (opts: Record<string, unknown>) => Promise<any>;
let autocannon: Autocannon | undefined;
function loadAutocannon(): Autocannon {
  return (autocannon ??= createRequire(join(root, 'bench', 'compat', 'package.json'))('autocannon') as Autocannon);
}

export interface Prepared {
  vars: Vars;
  body: string;
  headers: Record<string, string>;
}

/** The request bodies a target gets for a workload (v5: its own query text). */
export function prepare(w: Workload, target: Target, count = BODIES): Prepared[] {
  const query = target.v5 ? w.v5Query : w.query;
  return Array.from({ length: count }, (_, i) => {
    const vars = w.variables(i);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (w.token) headers.authorization = `Bearer ${w.token(vars)}`;
    return { vars, body: JSON.stringify({ query, variables: vars }), headers };
  });
}

/** Sends one request and returns its checked, normalised data (throws on any problem). */
export async function askOnce(target: Target, w: Workload, p: Prepared): Promise<unknown> {
  const res = await fetch(target.url, { method: 'POST', headers: p.headers, body: p.body });
  const text = await res.text();
  const problem = responseProblem(w, res.status, text, p.vars, true);
  if (problem) throw new Error(`${target.name} ${w.id}: ${problem}\n${text.slice(0, 500)}`);
  return normalize(target.name, JSON.parse(text).data);
}

function responseProblem(w: Workload, status: number, body: string, vars: Vars, full: boolean): string | null {
  if (status !== 200) return `HTTP ${status}`;
  if (body.includes('"errors"')) return 'GraphQL errors';
  if (!full) return null;
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  if (parsed.errors) return 'GraphQL errors';
  return w.check(parsed.data, vars);
}

export interface RunResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function runLoad(target: Target, w: Workload, bodies: Prepared[], opts: { seconds: number; connections: number; warmUp?: boolean }): Promise<RunResult> {
  const failures: string[] = [];
  let next = 0;
  let seen = 0;
  const result = await loadAutocannon()({
    url: target.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.seconds,
    requests: [{
      setupRequest(req: Record<string, unknown>, context: { p?: Prepared }) {
        const p = bodies[next++ % bodies.length];
        context.p = p;
        return { ...req, method: 'POST', body: p.body, headers: p.headers };
      },
      onResponse(status: number, body: string, context: { p?: Prepared }) {
        const problem = responseProblem(w, status, body, context.p!.vars, ++seen % SAMPLE_EVERY === 0);
        if (problem && failures.length < 5) failures.push(`${problem}: ${body.slice(0, 300)}`);
        else if (problem) failures.push('');
      },
    }],
  });
  const errors = failures.length + result.errors + result.timeouts + result.non2xx;
  if (errors || (seen === 0 && !opts.warmUp)) {
    throw new Error(`${target.name} ${w.id}: ${errors} failed of ${seen} (connection errors ${result.errors}, ` +
      `timeouts ${result.timeouts}, non-2xx ${result.non2xx}); this run is not a result.\n${failures.filter(Boolean).join('\n')}`);
  }
  const seconds = result.duration as number;
  return { requests: seen, seconds, rps: seen / seconds, p50: result.latency.p50, p99: result.latency.p99, errors };
}
