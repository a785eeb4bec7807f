import type { Command } from 'commander';
import { registerExplain } from './inbox/explain.js';
import { registerLs } from './inbox/ls.js';
import { registerRetry } from './inbox/retry.js';
import { addExamples } from '../help-text.js';

export function registerInboxCommands(program: Command): void {
  const group = program.command('inbox').description("the fate of every inbound message: ls, explain, retry a dead one");
  addExamples(group, ['threadline inbox ls --dead', 'threadline inbox explain 17']);
  for (const register of [registerLs, registerExplain, registerRetry]) register(group);
}
