import { afterEach } from 'vitest';
import { startFakeDiscord, type DiscordSentMessage, type FakeDiscord, type FakeDiscordGuild } from '../fakes/fake-discord-server.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai-server.js';
import { sqliteTestFile } from '../support/databases.js';
import { killAll, spawnTs, type TsProcess } from '../support/processes.js';
import { CLI_MAIN } from '../support/cli-build.js';

/**
 * What every Discord bot test needs around the fakes: `threadline bot discord` worker processes (real discord.js
 * inside), and ways to read what the fake Discord shows.
 */

export const TOKEN = 'discord-test-token';
export const MAIN = CLI_MAIN;
/** Generous: tsx compiles the CLI at start-up, slow on a busy machine. */
const START_TIMEOUT_MS = 60_000;

/** A snowflake-shaped guild id that Discord routes to `shard` of `count`. */
export const guildOnShard = (shard: number, count: number, n = 1): string => String(((1000n * BigInt(n) * BigInt(count)) + BigInt(shard)) << 22n);

export function guild(id: string, channelIds: string[]): FakeDiscordGuild {
  return { id, channels: channelIds.map((channelId) => ({ id: channelId })) };
}

export interface WorkerOptions {
  apiUrl: string;
  llm: FakeOpenAI;
  db: string;
  args?: string[];
  token?: string;
}

/** The worker process alone, without waiting for it to come up (for start-up failures). */
export function spawnWorker(options: WorkerOptions): TsProcess {
  return spawnTs(
    MAIN,
    ['bot', 'discord', '--api-url', options.apiUrl, '--db', options.db, '--model', 'gpt-test', '--base-url', options.llm.baseURL, ...(options.args ?? [])],
    { env: { DISCORD_BOT_TOKEN: options.token ?? TOKEN, OPENAI_API_KEY: 'test', THREADLINE_LOG_LEVEL: 'info', DISCORD_API_URL: undefined } },
  );
}

const STARTED = {
  serving: /"msg":"serving Discord shard"/,
  // Either: workers started together do not know beforehand which of them gets a shard.
  any: /"msg":"(serving Discord shard|every Discord shard is served by another worker)/,
};

/** Starts a worker and waits until it serves a shard (`serving`), or serves one or stands by (`any`). */
export async function startWorker(options: WorkerOptions, started: keyof typeof STARTED = 'serving'): Promise<TsProcess> {
  const proc = spawnWorker(options);
  await proc.waitForLine(STARTED[started], START_TIMEOUT_MS).catch((error: Error) => {
    throw new Error(`${error.message}\nits stdout:\n${proc.stdoutText.slice(-3000)}`);
  });
  return proc;
}

/** Shard ids a worker has said it serves (from its "serving Discord shard" log lines). */
export function servedShards(proc: TsProcess): number[] {
  return proc.stdoutLines
    .filter((line) => line.includes('"msg":"serving Discord shard"'))
    .map((line) => (JSON.parse(line) as { shard: number }).shard);
}

/** Each message the bot posted, with the text it shows now (its last edit). */
export function shown(fake: FakeDiscord): DiscordSentMessage[] {
  return fake.messages.map((message) => ({ ...message, content: fake.edits.findLast((e) => e.messageId === message.id)?.content ?? message.content }));
}

/** The bot's messages that answer `messageId` (Discord replies carry the answered message as their reference). */
export function repliesTo(fake: FakeDiscord, messageId: string): DiscordSentMessage[] {
  return shown(fake).filter((message) => message.replyTo === messageId);
}

export { eventually } from '../support/eventually.js';

/** Stops a worker gracefully and returns its exit code. */
export async function stopWorker(proc: TsProcess): Promise<number | null> {
  proc.kill('SIGTERM');
  return (await proc.exited).code;
}

export interface DiscordWorld {
  fake: FakeDiscord;
  llm: FakeOpenAI;
  db: string;
}

/**
 * For a test file: makes a fresh fake Discord (with `guilds`), fake LLM and SQLite file per test, and after each test
 * kills its workers and closes them. Returns the function that makes one.
 */
export function discordWorlds(guilds: FakeDiscordGuild[], label: string): () => Promise<DiscordWorld> {
  let open: Partial<DiscordWorld> = {};
  afterEach(async () => {
    await killAll();
    await open.fake?.close();
    await open.llm?.close();
    open = {};
  });
  return async () => {
    open.fake = await startFakeDiscord({ token: TOKEN, guilds });
    open.llm = await startFakeOpenAI();
    return { fake: open.fake, llm: open.llm, db: sqliteTestFile(label) };
  };
}
