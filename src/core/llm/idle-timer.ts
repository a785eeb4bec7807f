/**
 * Fires once when it has been running for `ms` without a `restart`. Used for streamed answers: the SDK's own
 * timeout only covers the wait for response headers, so a server that stalls mid-answer would hang forever.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private hasFired = false;

  constructor(private readonly ms: number, private readonly onIdle: () => void) {}

  get fired(): boolean {
    return this.hasFired;
  }

  restart(): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.hasFired = true;
      this.onIdle();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
