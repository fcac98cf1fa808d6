import type { AddressInfo } from 'node:net';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';

import { type SlackAdapter, startSlack } from '../../src/slack/slack-adapter.js';
import { THINKING_TEXT } from '../../src/slack/turn-runner.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { BOT_USER_ID, SlackApiStandIn, TEAM_ID } from './slack-api-stand-in.js';
import { envelope, fixtures } from './slack-testbed.js';

const APP_TOKEN = 'xapp-1-test-app-token-for-the-stand-in';

/**
 * A local Socket Mode server: it greets each connection with `hello`, sends envelopes the
 * test gives it, and records the acknowledgements the client sends back.
 */
class SocketModeStandIn {
  readonly acks: { envelope_id: string; payload?: unknown }[] = [];
  readonly connections: WebSocket[] = [];
  private readonly server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  private nextEnvelope = 1;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.once('listening', () => resolve()));
    this.server.on('connection', (socket) => {
      this.connections.push(socket);
      socket.on('message', (data) => this.acks.push(JSON.parse(String(data)) as { envelope_id: string }));
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A123ABC456' } }));
    });
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link/?ticket=test`;
  }

  /** Sends one envelope and returns its envelope id. */
  send(type: string, payload: unknown, extra: Record<string, unknown> = {}): string {
    const id = `envelope-${this.nextEnvelope++}`;
    this.connections.at(-1)!.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type !== 'events_api', ...extra }));
    return id;
  }

  async waitForAck(id: string): Promise<{ envelope_id: string; payload?: unknown }> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const ack = this.acks.find((candidate) => candidate.envelope_id === id);
      if (ack) return ack;
      if (Date.now() > deadline) throw new Error(`No acknowledgement for ${id}; got ${this.acks.map((a) => a.envelope_id).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('slack Socket Mode', () => {
  let slack: SlackApiStandIn;
  let socket: SocketModeStandIn;
  let harness: Harness;
  let adapter: SlackAdapter;

  beforeEach(async () => {
    slack = new SlackApiStandIn();
    const apiUrl = await slack.start();
    socket = new SocketModeStandIn();
    slack.socketUrl = await socket.start();
    harness = await startHarness({ SLACK_BOT_TOKEN: 'xoxb-test-token-for-the-stand-in', SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: apiUrl });
    adapter = await startSlack(harness.frugal);
  });

  afterEach(async () => {
    await adapter.stop();
    await harness.close();
    await socket.stop();
    await slack.stop();
  });

  it('connects with the app token', () => {
    expect(adapter.mode).toBe('socket');
    expect(adapter.port).toBeUndefined();
    const [open] = slack.callsOf('apps.connections.open');
    expect(open!.authorization).toBe(`Bearer ${APP_TOKEN}`);
    expect(socket.connections).toHaveLength(1);
  });

  it('acknowledges and answers a mention', async () => {
    const id = socket.send('events_api', fixtures.app_mention_event_callback, { retry_attempt: 0, retry_reason: '' });
    expect(await socket.waitForAck(id)).toEqual({ envelope_id: id, payload: {} });
    const [update] = await slack.waitFor('chat.update');
    await adapter.settle();

    expect(update!.args.text).toBe('You asked: is it everything a river should be?');
    const [placeholder] = slack.callsOf('chat.postMessage');
    expect(placeholder!.args.text).toBe(THINKING_TEXT);
    expect(placeholder!.args.thread_ts).toBe(fixtures.app_mention_event_callback.event.ts);
  });

  it('answers a first delivery marked as a retry, then drops its retry', async () => {
    const body = envelope({ ts: '1515453000.000100', text: `<@${BOT_USER_ID}> seen first as a retry` });
    await socket.waitForAck(socket.send('events_api', body, { retry_attempt: 1, retry_reason: 'timeout' }));
    await slack.waitFor('chat.update', 1);
    await socket.waitForAck(socket.send('events_api', body, { retry_attempt: 2, retry_reason: 'timeout' }));
    const other = envelope({ ts: '1515453001.000100', text: `<@${BOT_USER_ID}> another question` });
    await socket.waitForAck(socket.send('events_api', other, { retry_attempt: 0, retry_reason: '' }));
    await slack.waitFor('chat.update', 2);
    await adapter.settle();

    expect(slack.callsOf('chat.update').map((call) => call.args.text)).toEqual([
      'You asked: seen first as a retry',
      'You asked: another question',
    ]);
    expect(harness.openai.requests).toHaveLength(2);
    expect(await harness.frugal.store.ledger.recordCount(`slack:${TEAM_ID}`)).toBe(2);
  });

  it('acknowledges a slash command and responds ephemerally', async () => {
    const command = Object.fromEntries(new URLSearchParams(fixtures.slash_command_form_body));
    const id = socket.send('slash_commands', { ...command, team_id: TEAM_ID, command: '/model', text: '', response_url: slack.responseUrl('socket') });
    await socket.waitForAck(id);
    const [reply] = await slack.waitFor('respond');
    await adapter.settle();

    expect(reply!.args.response_type).toBe('ephemeral');
    expect(String(reply!.args.text)).toContain('automatic routing');
  });
});
