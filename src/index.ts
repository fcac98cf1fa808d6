import 'dotenv/config';

import { createFrugal, type Frugal } from './app.js';
import { ConfigError, parseConfig } from './config/config.js';
import { createLogger } from './logger.js';
import { runTerminalChat } from './terminal/terminal-chat.js';

/** A running platform adapter that can be stopped on SIGTERM. */
export interface RunningAdapter {
  name: string;
  stop(): Promise<void>;
}

async function startPlatforms(frugal: Frugal): Promise<RunningAdapter[]> {
  const adapters: RunningAdapter[] = [];
  const { slack, discord } = frugal.config;
  if (slack.botToken && (slack.appToken || slack.signingSecret)) {
    const { startSlack } = await import('./slack/slack-adapter.js');
    adapters.push(await startSlack(frugal));
  }
  if (discord.token) {
    const { startDiscord } = await import('./discord/discord-adapter.js');
    adapters.push(await startDiscord(frugal));
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

  const adapters = await startPlatforms(frugal);
  if (adapters.length === 0) {
    logger.info({ store: config.storeUrl }, 'no platform credentials set; starting the terminal chat');
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
  for (const adapter of adapters) {
    try {
      await adapter.stop();
    } catch (error) {
      logger.error({ err: error, adapter: adapter.name }, 'adapter failed to stop cleanly');
    }
  }
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
