// PostGraphile v4's Explain (`allowExplain` and the `X-PostGraphile-Explain: on` header): the
// text and the `EXPLAIN` plan of each statement an operation runs, planned on the operation's
// own connection, inside its transaction, just before the statement runs, so the plan is made
// with the request's role and settings. EXPLAIN only plans: nothing is run twice.
import type { ClientBase } from 'pg';

/** One entry of the response's `explain` list, as v4 sends it. */
interface ExplainedStatement {
  query: string;
  plan: string;
}

/** Called with each statement before it runs; resolves once its plan is recorded (or skipped). */
export type Explain = (client: ClientBase, text: string, values: readonly unknown[]) => Promise<void>;

// v4 explains only data statements; savepoints, settings and the like are not the operation's.
const explainable = /^\s*(select|insert|update|delete|with)\s/i;

/** A recorder for one request: `explain` to pass down, `results` once the operation is done. */
export function explainRecorder(): { explain: Explain; results: ExplainedStatement[] } {
  const results: ExplainedStatement[] = [];
  const explain: Explain = async (client, text, values) => {
    if (!explainable.test(text)) return;
    // A statement that cannot be planned fails when it runs, with its own error; the failed
    // EXPLAIN must not abort the transaction first, so it has a savepoint of its own.
    await client.query('savepoint forum_dev_explain');
    try {
      // The extended protocol (always, even without values) takes exactly one statement.
      const { rows } = await client.query({ text: `explain ${text}`, values: [...values], queryMode: 'extended' } as never);
      await client.query('release savepoint forum_dev_explain');
      const key = rows[0] && Object.keys(rows[0])[0];
      if (key) results.push({ query: text, plan: (rows as Record<string, unknown>[]).map((r) => String(r[key])).join('\n') });
    } catch {
      // As in v4, a statement whose plan cannot be had is left out of the list.
      await client.query('rollback to savepoint forum_dev_explain');
    }
  };
  return { explain, results };
}
