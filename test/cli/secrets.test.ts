import { describe, expect, it } from 'vitest';
import { maskSecrets, treatAsSecret } from '../../src/cli/secrets.js';

describe('maskSecrets', () => {
  it('masks the secrets given on the command line and the platform secrets in the environment, the longest first', () => {
    treatAsSecret('xoxb-given-token');
    treatAsSecret('ab');
    const env = { DISCORD_BOT_TOKEN: 'discord.secret.value', SLACK_APP_TOKEN: 'xoxb-given-token-and-more', HOME: '/root' };
    expect(maskSecrets('bad xoxb-given-token-and-more, xoxb-given-token and discord.secret.value in /root ab', env)).toBe('bad ***, *** and *** in /root ab');
  });
});
