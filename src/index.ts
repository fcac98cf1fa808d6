import 'dotenv/config';

import { createFrugal, type Frugal } from './app.js';
import { ConfigError, maskUrlPassword, parseConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { runTerminalChat } from './terminal/terminal-chat.js';

/** A running platform adapter that can be stopped on SIGTERM. */
export interface RunningAdapter {
  name: string;
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
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await stopAll(frugal, adapters);
  await frugal.close();
  logger.info('frugal stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`frugal: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
