import pg from 'pg';

/**
 * The naive way, as a reference row: the whole history as one JSON document, read and rewritten under
 * SELECT … FOR UPDATE on every turn. Its cost grows with the history; Threadline's append does not.
 */
export class NaiveJsonHistory {
  private constructor(private readonly client: pg.Client) {}

  static async open(url: string): Promise<NaiveJsonHistory> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TEMP TABLE naive_sessions (id text PRIMARY KEY, doc jsonb NOT NULL)');
    return new NaiveJsonHistory(client);
  }

  async seed(sessionId: string, messages: number): Promise<void> {
    const doc = Array.from({ length: messages }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i} of the seeded history` }));
    await this.client.query('INSERT INTO naive_sessions (id, doc) VALUES ($1, $2)', [sessionId, JSON.stringify(doc)]);
  }

  /** Lock, load the last 50, append user + assistant, write the document back, commit. */
  async turn(sessionId: string): Promise<void> {
    await this.client.query('BEGIN');
    const { rows } = await this.client.query<{ doc: Array<{ role: string; content: string }> }>(
      'SELECT doc FROM naive_sessions WHERE id = $1 FOR UPDATE',
      [sessionId],
    );
    const doc = rows[0].doc;
    doc.slice(-50);
    doc.push({ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi there' });
    await this.client.query('UPDATE naive_sessions SET doc = $2 WHERE id = $1', [sessionId, JSON.stringify(doc)]);
    await this.client.query('COMMIT');
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
