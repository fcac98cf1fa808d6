import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import { startDiscord } from '../../src/discord/discord-adapter.js';
import type { RunningAdapter } from '../../src/index.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { BOT_ID, BOT_USER, CHANNEL_ID, DiscordStandIn } from './discord-stand-in.js';
import { type DiscordTest, messagePayload, startDiscordTest } from './discord-test-setup.js';

/**
 * Starts the adapter in a worker thread against the stand-in and resolves with the message of its
 * start failure. The worker is terminated afterwards, because a client that timed out while it
 * waited for READY cannot be stopped cleanly (see destroyWithin) and would reconnect in the test process.
 */
function startInWorker(apiUrl: string, startTimeoutMs: number): Promise<{ message?: string; failure?: string }> {
  const modules = {
    harness: new URL('../support/frugal-harness.ts', import.meta.url).href,
    adapter: new URL('../../src/discord/discord-adapter.ts', import.meta.url).href,
  };
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { tsImport } = await import('tsx/esm/api');
      const { startHarness } = await tsImport(workerData.modules.harness, workerData.modules.harness);
      const { startDiscord } = await tsImport(workerData.modules.adapter, workerData.modules.adapter);
      const harness = await startHarness({ DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_API_URL: workerData.apiUrl });
      const message = await startDiscord(harness.frugal, { startTimeoutMs: workerData.startTimeoutMs }).then(
        () => 'started',
        (error) => error.message,
      );
      await harness.close();
      parentPort.postMessage(message);
    })();
  `;
  return new Promise((resolve) => {
    const worker = new Worker(source, { eval: true, workerData: { modules, apiUrl, startTimeoutMs } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ failure: 'startDiscord did not settle within 10 seconds' });
    }, 10_000);
    worker.once('message', (message: string) => {
      clearTimeout(timer);
      void worker.terminate().then(() => resolve({ message }));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      resolve({ failure: error.message });
    });
  });
}

describe('discord adapter lifecycle', () => {
  let discord: DiscordStandIn;
  let harness: Harness;
  let apiUrl: string;

  async function start(configure: (standIn: DiscordStandIn) => void = () => undefined) {
    discord = new DiscordStandIn();
    configure(discord);
    apiUrl = await discord.start();
    harness = await startHarness({ DISCORD_TOKEN: 'stand-in-bot-token', DISCORD_API_URL: apiUrl });
  }

  afterEach(async () => {
    await discord.stop();
    await harness.close();
  });

  /**
   * Lets the gateway accept connections again and stops the adapter once it resumed. A client
   * stopped while it waits to reconnect would go on reconnecting (see destroyWithin).
   */
  async function stopAfterResume(adapter: RunningAdapter): Promise<void> {
    discord.gatewayUpgradeStatus = undefined;
    await discord.waitUntil(() => harness.logs.withMessage('discord gateway resumed')[0], 'the resumed session');
    await adapter.stop();
  }

  it('explains a disallowed MessageContent intent', async () => {
    await start((standIn) => {
      standIn.identifyCloseCode = 4014;
    });

    await expect(startDiscord(harness.frugal)).rejects.toThrow(/Message Content Intent/);
    expect(discord.identifies.length).toBe(1);
  });

  it('explains an invalid token', async () => {
    await start((standIn) => {
      standIn.hook = (call) => (call.path === '/gateway/bot' ? { status: 401, body: { message: '401: Unauthorized', code: 0 } } : undefined);
    });

    const failure = startDiscord(harness.frugal);
    await expect(failure).rejects.toThrow(/Discord rejected DISCORD_TOKEN as invalid/);
    await expect(failure).rejects.not.toThrow(/stand-in-bot-token/);
  });

  it('reports a fatal gateway close', async () => {
    await start();
    const adapter = await startDiscord(harness.frugal);
    discord.closeConnections(4004, 'Authentication failed.');

    const failure = await adapter.failure!;
    expect(failure.message).toMatch(/code 4004 \(authentication failed\)/);
    expect(failure.message).toMatch(/set DISCORD_TOKEN and restart/);
    const [line] = harness.logs.withMessage('discord gateway disconnected and will not reconnect');
    expect(line).toMatchObject({ code: 4004, detail: failure.message });
    await adapter.stop();
  });

  it('logs a repeated gateway error once', async () => {
    await start();
    const adapter = await startDiscord(harness.frugal);
    discord.gatewayUpgradeStatus = 404;
    discord.closeConnections(4000, 'Unknown error');
    await discord.waitUntil(() => (discord.rejectedUpgrades >= 5 ? true : undefined), 'five failed reconnects');

    const errors = harness.logs.withMessage('discord gateway error');
    expect(errors).toHaveLength(1);
    expect((errors[0]!.error as { message: string }).message).toBe('Unexpected server response: 404');
    expect((errors[0]!.error as { stack?: string }).stack).toBeDefined();
    expect(harness.logs.withMessage('discord gateway reconnecting')).toHaveLength(1);
    await stopAfterResume(adapter);
  });

  it('counts repeats in the next error line', async () => {
    await start();
    const adapter = await startDiscord(harness.frugal, { repeatLogIntervalMs: 600 });
    discord.gatewayUpgradeStatus = 404;
    discord.closeConnections(4000, 'Unknown error');
    await discord.waitUntil(() => (discord.rejectedUpgrades >= 6 ? true : undefined), 'six failed reconnects');

    const errors = harness.logs.withMessage('discord gateway error');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThan(discord.rejectedUpgrades);
    expect(errors[1]!.repeatsSinceLastLine).toBeGreaterThanOrEqual(1);
    expect((errors[1]!.error as { stack?: string }).stack).toBeUndefined();
    await stopAfterResume(adapter);
  });

  it('bounds the start-up time', async () => {
    await start((standIn) => {
      standIn.ignoreIdentify = true;
    });
    const result = await startInWorker(apiUrl, 500);
    expect(result.failure).toBeUndefined();
    expect(result.message).toMatch(/^Discord did not become ready within 0.5 seconds/);
    expect(result.message).toMatch(/check DISCORD_API_URL/);
  });

  it('answers heartbeats and closes the gateway on stop', async () => {
    await start((standIn) => {
      standIn.heartbeatIntervalMs = 100;
    });
    const adapter = await startDiscord(harness.frugal);
    await discord.waitUntil(() => (discord.heartbeatAcks >= 2 ? true : undefined), 'two heartbeats');
    expect(discord.connectionCount).toBe(1);

    await adapter.stop();
    await discord.waitUntil(() => (discord.connectionCount === 0 ? true : undefined), 'the gateway connection to close');
    expect(harness.logs.withMessage('discord disconnected').length).toBe(1);
    expect(harness.logs.withMessage('discord gateway reconnecting')).toEqual([]);
  });
});

describe('discord typing indicator', () => {
  let test: DiscordTest;

  afterEach(async () => {
    await test.close();
  });

  it('renews typing while the model works and stops after', async () => {
    test = await startDiscordTest({}, 40);
    test.harness.openai.behaviour = { delayMs: 400 };
    const id = '1400000000000000501';
    test.discord.dispatch('MESSAGE_CREATE', messagePayload({ id, content: `<@${BOT_ID}> how are refunds handled?`, mentions: [BOT_USER] }));

    const reply = await test.discord.waitForCall((call) => call.body?.message_reference?.message_id === id, 'the reply');
    const typing = () => test.discord.calls.filter((call) => call.path === `/channels/${CHANNEL_ID}/typing`);
    expect(typing().length).toBeGreaterThanOrEqual(3);
    for (const call of typing()) expect(call.seq).toBeLessThan(reply.seq);

    // Five more intervals: a timer left running would post typing again in this time.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(typing().every((call) => call.seq < reply.seq)).toBe(true);
  });
});
