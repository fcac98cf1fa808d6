import 'dotenv/config';

import { createFrugal, type Frugal } from './app.js';
import { ConfigError, maskUrlPassword, parseConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { runTerminalChat } from './terminal/terminal-chat.js';

/** How long the process may linger after main() returned, in milliseconds. */
const EXIT_GRACE_MS = 2000;

/** A running platform adapter that can be stopped on SIGTERM. */
export interface RunningAdapter {
  name: string;
  /**
   * Resolves with the reason when the adapter stopped working for good, such as a gateway
   * close that is not retried. The process then stops with exit status 1.
   */
  failure?: Promise<Error>;
  stop(): Promise<void>;
}

/** An adapter that failed to start; the message says what to fix. */
class AdapterStartError extends Error {
  override name = 'AdapterStartError';
}

async function stopAll(frugal: Frugal, adapters: RunningAdapter[]): Promise<void> {
  for (const adapter of adapters) {
    try {
      await adapter.stop();
    } catch (error) {
      frugal.logger.error({ err: error, adapter: adapter.name }, 'adapter failed to stop cleanly');
    }
  }
}

/** Starts every platform with credentials. If one fails, the ones already started are stopped. */
async function startPlatforms(frugal: Frugal): Promise<RunningAdapter[]> {
  const adapters: RunningAdapter[] = [];
  const { slack, discord } = frugal.config;
  const starters: [string, () => Promise<RunningAdapter>][] = [];
  if (slack.botToken && (slack.appToken || slack.signingSecret)) {
    starters.push(['Slack', async () => (await import('./slack/slack-adapter.js')).startSlack(frugal)]);
  }
  if (discord.token) {
    starters.push(['Discord', async () => (await import('./discord/discord-adapter.js')).startDiscord(frugal)]);
  }
  for (const [name, start] of starters) {
    try {
      adapters.push(await start());
    } catch (error) {
      frugal.logger.error({ err: error, adapter: name }, 'adapter failed to start');
      await stopAll(frugal, adapters);
      throw new AdapterStartError(`${name} failed to start: ${(error as Error).message}`);
    }
  }
  return adapters;
}

async function main(): Promise<number> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`frugal: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let frugal: Frugal;
  try {
    frugal = await createFrugal(config, logger);
  } catch (error) {
    process.stderr.write(`frugal: ${(error as Error).message}\n`);
    return 2;
  }

  let adapters: RunningAdapter[];
  try {
    adapters = await startPlatforms(frugal);
  } catch (error) {
    if (!(error instanceof AdapterStartError)) throw error;
    process.stderr.write(`frugal: ${error.message}\n`);
    await frugal.close();
    return 1;
  }
  if (adapters.length === 0) {
    logger.info({ store: maskUrlPassword(config.storeUrl) }, 'no platform credentials set; starting the terminal chat');
    await runTerminalChat(frugal, process.stdin, process.stdout);
    await frugal.close();
    return 0;
  }

  logger.info({ adapters: adapters.map((adapter) => adapter.name) }, 'frugal started');
  // A failed adapter stops the whole process, the others included, as a failed start does: a
  // process with one platform dead would look healthy to its supervisor.
  const exitCode = await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    for (const adapter of adapters) {
      void adapter.failure?.then((error) => {
        logger.error({ adapter: adapter.name, reason: error.message }, 'adapter failed; stopping');
        resolve(1);
      });
    }
  });
  await stopAll(frugal, adapters);
  await frugal.close();
  logger.info({ exitCode }, 'frugal stopped');
  return exitCode;
}

/**
 * Sets the exit status and, should a library keep the event loop alive after every adapter was
 * stopped, exits after a grace period. @discordjs/ws 1.2.3 goes on reconnecting when its client
 * is destroyed during the 500 ms pause before a reconnect. The timer is unref'd, so a process
 * with nothing left to do exits at once, with its output flushed.
 */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}

main().then(finish, (error: unknown) => {
  process.stderr.write(`frugal: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
  finish(1);
});
