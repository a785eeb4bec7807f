import { InvalidArgumentError, Option, type Command } from 'commander';
import { generateApiKey, hashApiKey } from '../../../serve/api-key.js';
import { addDbOption, addJsonOption, resolveDbUrl, type DbOptions } from '../../common-options.js';
import { addExamples } from '../../help-text.js';
import { printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';

interface CreateOptions extends DbOptions {
  name: string;
  sessionsPrefix?: string;
  json?: boolean;
}

/** Names appear in logs, metrics and `keys revoke`: kept to characters that need no quoting anywhere. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function keyName(value: string): string {
  if (!KEY_NAME.test(value)) throw new InvalidArgumentError('use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return value;
}

function sessionsPrefix(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (value === '' || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) throw new InvalidArgumentError('use 1-256 printable characters, e.g. "acme:"');
  return value;
}

export function registerCreate(group: Command): void {
  const command = group
    .command('create')
    .description('create an API key and print it once (only its digest is stored)')
    .addOption(new Option('--name <name>', 'a unique name for the key (in logs, metrics and revoke)').argParser(keyName).makeOptionMandatory())
    .addOption(new Option('--sessions-prefix <prefix>', 'the key may only use sessions whose id starts with this (default: every session, and the operator endpoints)').argParser(sessionsPrefix));
  addDbOption(command);
  addJsonOption(command);
  addExamples(command, ['threadline keys create --name web', 'threadline keys create --name acme --sessions-prefix acme: --json']);
  command.action(async (options: CreateOptions) => {
    const key = generateApiKey();
    // Creating a key is the first write of a serve deployment: the store is created if it is not there yet.
    const record = await withStore(resolveDbUrl(options), (store) => store.createApiKey({ name: options.name, keyHash: hashApiKey(key), sessionsPrefix: options.sessionsPrefix }), { create: true });
    if (options.json) return printJson({ name: record.name, key, ...(record.sessionsPrefix !== undefined ? { sessionsPrefix: record.sessionsPrefix } : {}) });
    printLine(key);
    process.stderr.write(`API key "${record.name}" created${record.sessionsPrefix !== undefined ? ` for sessions starting with "${record.sessionsPrefix}"` : ''}: it is shown only this once, keep it safe\n`);
  });
}
