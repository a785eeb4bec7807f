import { z } from 'zod';
import { setting } from '../../src/settings/setting.js';
import { port, text } from '../../src/settings/values.js';
import { configuredOnce, declarePlatform } from '../shared/platform-declaration.js';

export const slackPlatform = declarePlatform({
  name: 'slack',
  description: 'run a Slack bot: Events API over HTTP (any number of workers behind a load balancer) or Socket Mode',
  examples: ['SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… threadline bot slack --db postgres://app@db/threadline', 'SLACK_APP_TOKEN=xapp-… threadline bot slack --socket-mode'],
  settings: {
    token: setting(text(), { description: 'bot token, xoxb-… (OAuth & Permissions)', value: 'token', env: 'SLACK_BOT_TOKEN', secret: true }),
    signingSecret: setting(text().optional(), {
      description: "HTTP mode: the app's signing secret (Basic Information)",
      value: 'secret',
      env: 'SLACK_SIGNING_SECRET',
      secret: true,
    }),
    socketMode: setting(z.boolean().optional(), { description: 'receive events over a Socket Mode connection instead of HTTP' }),
    appToken: setting(text().optional(), {
      description: 'Socket Mode: app-level token, xapp-… with connections:write',
      value: 'token',
      env: 'SLACK_APP_TOKEN',
      secret: true,
    }),
    port: setting(port().default(3000), { description: 'HTTP mode: port of the events server (POST /slack/events)', value: 'port' }),
    apiUrl: setting(text().optional(), { description: 'Web API base URL', value: 'url', env: 'SLACK_API_URL', defaultText: '$SLACK_API_URL, else https://slack.com/api/' }),
    slashCommand: setting(text().default('/threadline'), {
      description: 'the slash command created in the Slack app: /threadline new, /threadline <message>…',
      value: 'name',
    }),
  },
  check(settings, ctx) {
    if (settings.socketMode && !settings.appToken) {
      ctx.addIssue({ code: 'custom', path: ['appToken'], message: 'is required with socket mode (an xapp-… token with connections:write)' });
    }
    if (!settings.socketMode && !settings.signingSecret) {
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'is required in HTTP mode (or turn on socket mode, with an app token)' });
    }
  },
  identities: ({ token }) => [['token', `slack token ${token}`, configuredOnce('the same token')]],
  serverPort: ({ socketMode }) => (socketMode ? undefined : 'port'),
  async makeAdapter(settings, { logger }) {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { SlackAdapter } = await import('./slack-adapter.js');
    const adapter = new SlackAdapter({
      token: settings.token,
      apiUrl: settings.apiUrl,
      logger,
      slashCommand: settings.slashCommand,
      receive: settings.socketMode
        ? { kind: 'socket', appToken: settings.appToken! }
        : { kind: 'http', signingSecret: settings.signingSecret!, port: settings.port },
    });
    const me = await adapter.identify();
    logger.info({ team: me.teamId, botUser: me.botUserId }, 'Slack bot identified');
    return adapter;
  },
});
