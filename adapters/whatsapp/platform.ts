import { setting } from '../../src/settings/setting.js';
import { port, text } from '../../src/settings/values.js';
import { configuredOnce, declarePlatform } from '../shared/platform-declaration.js';
import { DEFAULT_GRAPH_API_URL } from './graph-client.js';

export const whatsappPlatform = declarePlatform({
  name: 'whatsapp',
  description:
    'run a WhatsApp Cloud API bot: a signed webhook (any number of workers behind a load balancer); secrets from $WHATSAPP_ACCESS_TOKEN, $WHATSAPP_VERIFY_TOKEN, $WHATSAPP_APP_SECRET (see adapters/whatsapp/README.md)',
  examples: ['threadline bot whatsapp --db postgres://app@db/threadline --port 8080'],
  settings: {
    // Secrets from the environment only on the command line (envOnly): a command line is visible to every user.
    accessToken: setting(text(), { description: 'the Cloud API access token of your Meta app', env: 'WHATSAPP_ACCESS_TOKEN', secret: true, envOnly: true }),
    phoneNumberId: setting(text(), { description: "the business phone number's id", value: 'id', env: 'WHATSAPP_PHONE_NUMBER_ID' }),
    verifyToken: setting(text(), {
      description: 'chosen by you when registering the webhook in the Meta app; Meta echoes it in the GET handshake',
      env: 'WHATSAPP_VERIFY_TOKEN',
      secret: true,
      envOnly: true,
    }),
    appSecret: setting(text(), { description: "the Meta app's secret: inbound POSTs are signed with it", env: 'WHATSAPP_APP_SECRET', secret: true, envOnly: true }),
    apiUrl: setting(text().optional(), { description: 'Graph API base URL', value: 'url', env: 'WHATSAPP_API_URL', defaultText: `$WHATSAPP_API_URL, else ${DEFAULT_GRAPH_API_URL}` }),
    port: setting(port().default(8080), { description: 'port of the webhook server', value: 'port' }),
    host: setting(text().default('0.0.0.0'), { description: 'address the webhook server listens on', value: 'host' }),
  },
  identities: ({ phoneNumberId }) => [['phoneNumberId', `whatsapp number ${phoneNumberId}`, configuredOnce('the same phone number id')]],
  serverPort: () => 'port',
  async makeAdapter(settings, { logger }) {
    // Loaded only when this platform runs: the CLI starts without every SDK.
    const { WhatsAppAdapter } = await import('./whatsapp-adapter.js');
    return new WhatsAppAdapter({ ...settings, logger });
  },
});
