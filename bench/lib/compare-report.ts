// The comparison's results as Markdown: a summary in the README's shape (the raw limit's req/s
// and every other target as a ratio to it) and the details per workload and target.
import type { Workload } from './compare-workloads';
import type { RunResult } from './load';

export interface Measured {
  workload: Workload;
  target: string;
  runs: RunResult[];
  /** CPU seconds of the server's process tree over the measured rounds. */
  cpuSeconds: number;
  /** CPU seconds of all PostgreSQL processes over the same rounds; null when not measurable. */
  pgCpuSeconds: number | null;
  peakRssMiB: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function totals(m: Measured) {
  const requests = m.runs.reduce((a, r) => a + r.requests, 0);
  const seconds = m.runs.reduce((a, r) => a + r.seconds, 0);
  return {
    requests,
    rps: requests / seconds,
    p50: median(m.runs.map((r) => r.p50)),
    p99: median(m.runs.map((r) => r.p99)),
    errors: m.runs.reduce((a, r) => a + r.errors, 0),
    cpuMs: (m.cpuSeconds * 1000) / requests,
    pgCpuMs: m.pgCpuSeconds === null ? null : (m.pgCpuSeconds * 1000) / requests,
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatReport(measured: Measured[], targetNames: string[], header: string): string {
  const ids = [...new Set(measured.map((m) => m.workload.id))];
  const get = (id: string, target: string) => measured.find((m) => m.workload.id === id && m.target === target);
  const hasRaw = targetNames.includes('raw');
  const others = targetNames.filter((t) => t !== 'raw');
  const lines: string[] = [];
  lines.push(`Measured by \`npm run bench -- compare\`: ${header}.`, '');
  lines.push(hasRaw ? 'req/s of the raw limit, and of every other target as a ratio to it:' : 'req/s:', '');
  lines.push(`| workload | ${hasRaw ? 'raw limit req/s | ' : ''}${others.join(' | ')} |`);
  lines.push(`|---|${hasRaw ? '---:|' : ''}${others.map(() => '---:').join('|')}|`);
  for (const id of ids) {
    const w = measured.find((m) => m.workload.id === id)!.workload;
    const raw = hasRaw ? totals(get(id, 'raw')!).rps : null;
    const cells = others.map((t) => {
      const m = get(id, t);
      if (!m) return '';
      const rps = totals(m).rps;
      return raw ? fmt(rps / raw, 2) : fmt(rps);
    });
    lines.push(`| ${id} ${w.title} | ${raw !== null ? `${fmt(raw)} | ` : ''}${cells.join(' | ')} |`);
  }
  lines.push('', 'Per target: p50/p99 latency in ms; CPU in ms per request (the server\'s processes; all PostgreSQL processes); peak RSS of the server under load.', '');
  lines.push('| workload | target | req/s | × raw | p50 | p99 | errors | server CPU | Postgres CPU | peak RSS MiB |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const id of ids) {
    const raw = hasRaw ? totals(get(id, 'raw')!) : null;
    for (const t of targetNames) {
      const m = get(id, t);
      if (!m) continue;
      const x = totals(m);
      lines.push(`| ${id} | ${t} | ${fmt(x.rps)} | ${raw ? fmt(x.rps / raw.rps, 2) : ''} | ${fmt(x.p50, 1)} | ${fmt(x.p99, 1)} | ${x.errors} | ` +
        `${fmt(x.cpuMs, 3)} | ${x.pgCpuMs === null ? 'n/a' : fmt(x.pgCpuMs, 3)} | ${fmt(m.peakRssMiB)} |`);
    }
  }
  return lines.join('\n') + '\n';
}
