import { Option, type Command } from 'commander';
import type { SlackAdapter } from '../../../../adapters/slack/slack-adapter.js';
import { CliError } from '../../cli-error.js';
import { addRunnerOptions, type RunnerCliOptions } from './runner-options.js';
import { runBot, type BotContext } from './run-bot.js';
import { addExamples } from '../../help-text.js';

interface SlackCliOptions extends RunnerCliOptions {
  token?: string;
  signingSecret?: string;
  appToken?: string;
  socketMode?: boolean;
  port: number;
  apiUrl?: string;
  slashCommand: string;
}

/**
 * What a Slack bot is configured with, from flags (`bot slack`) or a config file (`bot run --config`). Both check
 * first that the chosen mode's secret is there: `appToken` with `socketMode`, else `signingSecret`.
 */
export interface SlackSettings {
  token: string;
  apiUrl?: string;
  socketMode?: boolean;
  appToken?: string;
  signingSecret?: string;
  /** HTTP mode: port of the events server. */
  port: number;
  /** The slash command's name as created in the Slack app (default `/threadline`). */
  slashCommand?: string;
}

/** The Slack adapter for `settings`, identified, so a wrong token fails before the runner starts. */
export async function makeSlackAdapter(settings: SlackSettings, { logger }: BotContext): Promise<SlackAdapter> {
  // Loaded only when this platform runs: the CLI starts without every SDK.
  const { SlackAdapter } = await import('../../../../adapters/slack/slack-adapter.js');
  const adapter = new SlackAdapter({
    token: settings.token,
    apiUrl: settings.apiUrl,
    logger,
    ...(settings.slashCommand ? { slashCommand: settings.slashCommand } : {}),
    receive: settings.socketMode
      ? { kind: 'socket', appToken: settings.appToken! }
      : { kind: 'http', signingSecret: settings.signingSecret!, port: settings.port },
  });
  const me = await adapter.identify();
  logger.info({ team: me.teamId, botUser: me.botUserId }, 'Slack bot identified');
  return adapter;
}

export function registerSlackBot(bot: Command): void {
  const command = bot
    .command('slack')
    .description('run a Slack bot: Events API over HTTP (any number of workers behind a load balancer) or Socket Mode')
    .addOption(new Option('--token <token>', 'bot token, xoxb-… (default: $SLACK_BOT_TOKEN)'))
    .addOption(new Option('--signing-secret <secret>', 'HTTP mode: the app\'s signing secret (default: $SLACK_SIGNING_SECRET)'))
    .addOption(new Option('--socket-mode', 'receive events over a Socket Mode connection instead of HTTP'))
    .addOption(new Option('--app-token <token>', 'Socket Mode: app-level token, xapp-… with connections:write (default: $SLACK_APP_TOKEN)'))
    .addOption(new Option('--port <port>', 'HTTP mode: port of the events server (POST /slack/events)').argParser(Number).default(3000))
    .addOption(new Option('--api-url <url>', 'Web API base URL (default: $SLACK_API_URL, else https://slack.com/api/)'))
    .addOption(new Option('--slash-command <name>', 'the slash command created in the Slack app: /threadline new, /threadline <message>…').default('/threadline'));
  addExamples(command, ['SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… threadline bot slack --db postgres://app@db/threadline', 'SLACK_APP_TOKEN=xapp-… threadline bot slack --socket-mode']);
  addRunnerOptions(command).action(async (options: SlackCliOptions) => {
    const env = process.env;
    const token = options.token ?? env.SLACK_BOT_TOKEN;
    if (!token) throw new CliError('no Slack bot token: pass --token or set SLACK_BOT_TOKEN (the xoxb- token under OAuth & Permissions)', 2);
    const settings: SlackSettings = {
      token,
      apiUrl: options.apiUrl ?? env.SLACK_API_URL,
      socketMode: options.socketMode,
      appToken: options.appToken ?? env.SLACK_APP_TOKEN,
      signingSecret: options.signingSecret ?? env.SLACK_SIGNING_SECRET,
      port: options.port,
      slashCommand: options.slashCommand,
    };
    if (settings.socketMode && !settings.appToken) {
      throw new CliError('Socket Mode needs an app-level token: pass --app-token or set SLACK_APP_TOKEN (xapp-…, scope connections:write)', 2);
    }
    if (!settings.socketMode && !settings.signingSecret) {
      throw new CliError('HTTP mode needs the signing secret: pass --signing-secret or set SLACK_SIGNING_SECRET (Basic Information page), or use --socket-mode', 2);
    }
    await runBot(options, (context) => makeSlackAdapter(settings, context));
  });
}
