import type { Command } from 'commander';
import { addExamples } from '../help-text.js';
import { registerCreate } from './keys/create.js';
import { registerList } from './keys/list.js';
import { registerRevoke } from './keys/revoke.js';

export function registerKeysCommands(program: Command): void {
  const group = program.command('keys').description('API keys for threadline serve: create (shown once), list, revoke');
  addExamples(group, ['threadline keys create --name web --json', 'threadline keys create --name acme --sessions-prefix acme:', 'threadline keys revoke web']);
  for (const register of [registerCreate, registerList, registerRevoke]) register(group);
}
