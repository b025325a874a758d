// Seeing every statement a pool sends, through pg's own extension point (the Pool's `Client`
// class), for tests and tools that record the SQL: no client is patched after the fact.
import { Client } from 'pg';

export type StatementListener = (text: string) => void;

/** A pg Client class that tells `listener` the text of each statement before sending it. */
export function tracedClient(listener: StatementListener): typeof Client {
  class TracedClient extends Client {
    // pg's query has many overloads; this forwards all of them unchanged.
    override query(...args: unknown[]): never {
      // (a pipeline of several statements, see prepared.ts, names each of them)
      const first = args[0] as string | { text?: string; statementTexts?: readonly string[] } | undefined;
      const texts = typeof first === 'string' ? [first] : first?.statementTexts ?? (first?.text ? [first.text] : []);
      for (const text of texts) listener(text);
      return (Client.prototype.query as (...a: unknown[]) => never).apply(this, args);
    }
  }
  return TracedClient as unknown as typeof Client;
}
