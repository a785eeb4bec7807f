import { Option, type Command } from 'commander';
import { ConsoleAdapter } from '../../../../adapters/console/console-adapter.js';
import { createLogger } from '../../../log.js';
import { chooseConsoleSession, describeConsoleSession } from './console-session.js';
import { addRunnerOptions, runnerOptionsFromFlags } from './runner-options.js';
import { runBot } from './run-bot.js';
import { addExamples } from '../../help-text.js';

interface ConsoleCliOptions {
  sessionId?: string;
}

export function registerConsoleBot(bot: Command): void {
  const command = bot
    .command('console')
    .description('chat in the terminal on the same runner as the platform bots (resumes the last console session)')
    .addOption(new Option('--session-id <id>', 'session to talk in (default: the last console session, else a new one)'));
  addExamples(command, ['threadline bot console --model echo', 'threadline bot console --db postgres://app@db/threadline --session-id console-demo --model gpt-4o-mini']);
  addRunnerOptions(command);
  // Group chats and allow-lists mean nothing in a terminal: the flags stay accepted, but out of the help.
  for (const option of command.options) {
    if (['--allow', '--group-policy', '--session-scope'].includes(option.long ?? '')) option.hideHelp();
    if (option.long === '--log-level') option.description = 'trace, debug, info, warn or error (default: $THREADLINE_LOG_LEVEL, else warn)';
  }
  command.action(async (flags: ConsoleCliOptions & Record<string, unknown>) => {
    const options = { ...runnerOptionsFromFlags(flags), sessionId: flags.sessionId };
    // Logs go to stderr, at warn unless asked, one short line each: they share the terminal with the conversation.
    const logger = createLogger({ level: options.logLevel ?? process.env.THREADLINE_LOG_LEVEL ?? 'warn', brief: true, destination: 2 });
    let sessionId = '';
    await runBot(
      options,
      async ({ store, stop }) => {
        const session = await chooseConsoleSession(store, options.sessionId);
        sessionId = session.id;
        process.stdout.write(
          `Threadline console - ${describeConsoleSession(session)} on ${store.location}\n` +
            'Type a message; /new starts a fresh conversation, /history summarises it, /help lists the commands, /exit quits.\n',
        );
        return new ConsoleAdapter({ sessionId, logger, onExit: stop });
      },
      {
        logger,
        // Input piped in ends before its lines are answered: answer them all before leaving.
        beforeStop: async (runner) => {
          while (await runner.isBusy(sessionId)) await new Promise((r) => setTimeout(r, 50));
        },
      },
    );
  });
}
