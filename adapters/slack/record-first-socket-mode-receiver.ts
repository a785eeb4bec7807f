import { SocketModeReceiver, type App, type SocketModeReceiverOptions } from '@slack/bolt';
import type { Logger } from '../../src/log.js';

/**
 * Socket Mode that acknowledges an envelope only once its listeners have finished, i.e. once the runner has
 * recorded the event. Bolt's own receiver acknowledges events before its listeners run, so a worker dying in
 * between would lose the event; unacknowledged, Slack delivers it again (to this or another connection). What a
 * listener acknowledged with (a slash command's response) goes with the envelope's acknowledgement.
 */
export class RecordFirstSocketModeReceiver extends SocketModeReceiver {
  private target?: App;

  constructor(options: SocketModeReceiverOptions, logger: Logger) {
    super(options);
    this.client.removeAllListeners('slack_event');
    this.client.on('slack_event', async (args: { ack: (response?: unknown) => Promise<void>; body: Record<string, unknown>; retry_num?: number; retry_reason?: string }) => {
      try {
        // Listeners get an ack that only keeps their response: the real one is sent below, after them.
        let response: unknown;
        const keep = async (body?: unknown) => {
          response ??= body;
        };
        await this.target?.processEvent({ body: args.body, ack: keep, retryNum: args.retry_num, retryReason: args.retry_reason });
        await args.ack(response);
      } catch (error) {
        logger.warn({ err: error }, 'a Slack event was not recorded and is left unacknowledged: Slack will deliver it again');
      }
    });
  }

  override init(app: App): void {
    super.init(app);
    this.target = app;
  }
}
