import { Option, type Command } from 'commander';
import { Agent } from '../../../core/agent.js';
import { CliError } from '../../cli-error.js';
import {
  addDbOption,
  addInstructionsOption,
  addJsonOption,
  addLlmOptions,
  chatModelFromOptions,
  resolveDbUrl,
  type DbOptions,
  type InstructionsOptions,
  type LlmOptions,
} from '../../common-options.js';
import { formatMessage, printJson, printLine } from '../../output.js';
import { withStore } from '../../with-store.js';
import { addExamples } from '../../help-text.js';
import { requireSession } from './require-session.js';

interface ResumeOptions extends DbOptions, LlmOptions, InstructionsOptions {
  sessionId: string;
  showHistory?: boolean;
  continue?: string;
  create?: boolean;
  json?: boolean;
}

export function registerResume(group: Command): void {
  const command = group
    .command('resume')
    .description('show a stored conversation, or continue it with one more turn')
    .requiredOption('--session-id <id>', 'the session to resume')
    .addOption(new Option('--show-history', 'print the conversation').conflicts('continue'))
    .addOption(new Option('--continue <text>', 'send this message, print the reply').conflicts('showHistory'))
    .addOption(new Option('--create', 'with --continue: start the session (and the store) if there is none yet').conflicts('showHistory'));
  addDbOption(command, { showAlias: true });
  addLlmOptions(command);
  addInstructionsOption(command);
  addJsonOption(command);
  addExamples(command, [
    'threadline persistence resume --session-id user-123-main --show-history',
    'threadline persistence resume --session-id user-123-main --db postgres://app@db/threadline --continue "What did we discuss?"',
    'threadline persistence resume --session-id notes --create --model echo --continue "hello"',
  ]);
  command.action(async (options: ResumeOptions) => {
    if (options.continue !== undefined) return continueSession(options, options.continue);
    if (options.showHistory) return showHistory(options);
    throw new CliError('say what to do: --show-history, or --continue "<message>"', 2);
  });
}

async function showHistory(options: ResumeOptions): Promise<void> {
  await withStore(resolveDbUrl(options), async (store) => {
    const session = await requireSession(store, options.sessionId);
    const messages = await store.fullHistory(session.id);
    if (options.json) return printJson({ session, messages });
    for (const message of messages) printLine(formatMessage(message));
  });
}

async function continueSession(options: ResumeOptions, text: string): Promise<void> {
  const model = chatModelFromOptions(options);
  // Ctrl-C stops the turn cleanly: the message is kept, marked interrupted.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    await withStore(resolveDbUrl(options), async (store) => {
      // A typo in the id must not start a new conversation silently: starting one is asked for with --create.
      if (!options.create) await requireSession(store, options.sessionId, 'check the id with "threadline persistence list", or pass --create to start it');
      const agent = new Agent({ name: 'threadline', instructions: options.instructions, llm: model, memory: { store, sessionId: options.sessionId } });
      if (options.json) {
        const reply = await agent.start(text, { signal: interrupt.signal });
        return printJson({ sessionId: agent.sessionId, reply });
      }
      for await (const chunk of agent.stream(text, { signal: interrupt.signal })) process.stdout.write(chunk);
      printLine();
    }, { create: options.create });
  } finally {
    process.off('SIGINT', onSigint);
  }
}
