/**
 * Runs tasks one after another per key, in the order they were added; tasks of different keys run concurrently.
 * Adapters record a chat's messages through it so two messages that arrive close together reach the durable
 * inbox in the order the platform sent them (concurrent inserts on separate connections may commit the other
 * way round). A task reports its own failures: a failing task never holds up the tasks after it.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(task).catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return tail;
  }

  /** Resolves when every task added so far has finished. */
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
