import type { Command } from 'commander';
import type { ChatModel } from '../../../core/llm/chat-model.js';
import { createChatModel, hasLlmEndpoint } from '../../../core/llm/create-chat-model.js';
import { openStore } from '../../../store/open-store.js';
import { StoreNotReadyError } from '../../../store/errors.js';
import type { HistoryStore } from '../../../store/types.js';
import { CliError } from '../../cli-error.js';
import { explainStoreError } from '../../store-errors.js';
import { addDbOption, addJsonOption, addLlmOptions, llmConfig, resolveDbUrl, type DbOptions, type LlmOptions } from '../../common-options.js';
import { printJson, printLine } from '../../output.js';
import { addExamples } from '../../help-text.js';

interface DoctorOptions extends DbOptions, LlmOptions {
  json?: boolean;
}

interface Check {
  name: 'database' | 'schema' | 'llm';
  ok: boolean;
  /** Not checked, and nothing wrong with that (no LLM endpoint configured yet). */
  skipped?: boolean;
  /** What was found, or what is wrong and how to fix it. */
  detail: string;
}

/** Doctor wants a quick yes or no from the endpoint, not the patience a real turn gets. */
const PROBE_TIMEOUT_MS = 10_000;

export function registerDoctor(group: Command): void {
  const command = group.command('doctor').description('check the database, its schema version and the LLM endpoint, and say what to fix');
  addDbOption(command);
  addLlmOptions(command);
  addJsonOption(command);
  addExamples(command, ['threadline persistence doctor', 'threadline persistence doctor --db postgres://app@db/threadline --model gpt-4o-mini --json']);
  command.action(async (options: DoctorOptions) => {
    const checks = [...(await checkDatabase(resolveDbUrl(options))), await checkLlm(options)];
    if (options.json) printJson({ ok: checks.every((c) => c.ok), checks });
    else for (const check of checks) printLine(`${check.skipped ? 'skip' : check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    // The exit code of the first problem: 3 for the store, 4 for the LLM, as if a command had run into it.
    if (failed.length > 0) throw new CliError(`doctor found problems with: ${failed.join(', ')}`, failed[0] === 'llm' ? 4 : 3);
  });
}

async function checkDatabase(db: string): Promise<Check[]> {
  let store: HistoryStore;
  try {
    // Not migrated here: doctor reports a pending migration instead of applying it, and creates no file.
    store = await openStore(db, { poolSize: 1, migrate: false });
  } catch (error) {
    return [
      { name: 'database', ok: false, detail: (explainStoreError(error, db) as Error).message },
      { name: 'schema', ok: false, detail: 'not checked: the database could not be opened' },
    ];
  }
  try {
    const { current, latest } = await store.schemaVersion();
    const schema: Check =
      current === 0
        ? { name: 'schema', ok: false, detail: (explainStoreError(new StoreNotReadyError(store.location, 0, latest), db) as Error).message }
        : current === latest
        ? { name: 'schema', ok: true, detail: `version ${current}, up to date` }
        : current > latest
          ? { name: 'schema', ok: false, detail: `version ${current} is newer than this threadline knows (${latest}): upgrade threadline` }
          : { name: 'schema', ok: false, detail: (explainStoreError(new StoreNotReadyError(store.location, current, latest), db) as Error).message };
    return [{ name: 'database', ok: true, detail: `${store.kind} ${store.location} is reachable` }, schema];
  } finally {
    await store.close();
  }
}

async function checkLlm(options: LlmOptions): Promise<Check> {
  // The quick start runs on the echo model with no key: nothing to check yet, and nothing broken.
  if (!hasLlmEndpoint(llmConfig(options))) {
    return { name: 'llm', ok: true, skipped: true, detail: 'skipped: no endpoint configured (set OPENAI_API_KEY, or --base-url for a local one; --model echo needs none)' };
  }
  let model: ChatModel;
  try {
    // An explicit --llm-timeout wins over the probe's own.
    model = createChatModel({ timeoutMs: PROBE_TIMEOUT_MS, ...llmConfig(options), maxRetries: 0 });
  } catch (error) {
    return { name: 'llm', ok: false, detail: (error as Error).message };
  }
  try {
    // One tiny streamed request through the same client a turn uses: it proves the URL, the key and the model name.
    const stream = model.stream({ messages: [{ role: 'user', content: 'Reply with the word ok.' }] });
    await stream.next();
    await stream.return(undefined as never);
    return { name: 'llm', ok: true, detail: `model ${model.model} answers${model.model === 'echo' ? ' (built-in offline echo model)' : ''}` };
  } catch (error) {
    return { name: 'llm', ok: false, detail: (error as Error).message };
  }
}
