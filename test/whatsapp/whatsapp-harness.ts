import type { FakeHandler, FakeOpenAI } from '../fakes/fake-openai-server.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/fake-whatsapp-server.js';
import { spawnTs, type TsProcess } from '../support/processes.js';
import { stopGracefully, withFakeLlm, withStore } from '../support/bot-world.js';
import { CLI_MAIN } from '../support/cli-build.js';

/**
 * What every WhatsApp bot test needs: a fake Graph API (which also signs and posts inbound webhooks), a fake
 * LLM, a database, and `threadline bot whatsapp` worker processes pointed at them.
 */

export const MAIN = CLI_MAIN;
export const WA = {
  accessToken: 'wa-test-access-token',
  phoneNumberId: '110000000000001',
  appSecret: 'wa-test-app-secret',
  verifyToken: 'wa-test-verify-token',
};

export interface WhatsAppWorld {
  wa: FakeWhatsApp;
  llm: FakeOpenAI;
  db: string;
  close(): Promise<void>;
}

export async function startWhatsAppWorld(db: string, handler?: FakeHandler): Promise<WhatsAppWorld> {
  const wa = await startFakeWhatsApp(WA);
  return { wa, db, ...(await withFakeLlm(wa, handler)) };
}

/** The environment a bot child process gets: the fakes' settings and nothing inherited that could redirect it. */
export function botEnv(world: Pick<WhatsAppWorld, 'wa'>): Record<string, string | undefined> {
  return {
    OPENAI_API_KEY: 'test',
    OPENAI_BASE_URL: undefined,
    OPENAI_MODEL: undefined,
    THREADLINE_DB: undefined,
    DATABASE_URL: undefined,
    THREADLINE_LOG_LEVEL: 'info',
    WHATSAPP_ACCESS_TOKEN: WA.accessToken,
    WHATSAPP_PHONE_NUMBER_ID: WA.phoneNumberId,
    WHATSAPP_VERIFY_TOKEN: WA.verifyToken,
    WHATSAPP_APP_SECRET: WA.appSecret,
    WHATSAPP_API_URL: world.wa.graphUrl,
  };
}

export interface WhatsAppWorker {
  proc: TsProcess;
  /** Where Meta (the test) posts notifications. */
  webhookUrl: string;
}

/** Starts `threadline bot whatsapp` on a free port and waits until its runner is up. */
export async function startWhatsAppWorker(world: WhatsAppWorld, args: string[] = []): Promise<WhatsAppWorker> {
  const proc = spawnTs(
    MAIN,
    ['bot', 'whatsapp', '--port', '0', '--host', '127.0.0.1', '--db', world.db, '--model', 'gpt-test', '--base-url', world.llm.baseURL, ...args],
    { env: botEnv(world) },
  );
  const webhookUrl = await webhookUrlOf(proc);
  await proc.waitForLine(/"msg":"bot runner started"/);
  return { proc, webhookUrl };
}

/** The webhook address a bot process logged when its server started listening. */
export async function webhookUrlOf(proc: TsProcess): Promise<string> {
  const line = await proc.waitForLine(/"msg":"receiving WhatsApp webhooks"/);
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/whatsapp`;
}

/** SIGTERM and wait: the graceful path. */
export const stopProcess = stopGracefully;

export const waSession = (waId: string) => `whatsapp:${WA.phoneNumberId}:${waId}`;

export { withStore };
