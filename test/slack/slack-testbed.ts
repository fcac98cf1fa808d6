import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { type SlackAdapter, startSlack } from '../../src/slack/slack-adapter.js';
import { THINKING_TEXT } from '../../src/slack/turn-runner.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';
import { type RecordedCall, SlackApiStandIn, TEAM_ID } from './slack-api-stand-in.js';

export const SIGNING_SECRET = 'test-signing-secret-for-the-stand-in';

interface Fixtures {
  app_mention_event_callback: EventEnvelope;
  app_mention_event_callback_bolt_python: EventEnvelope;
  slash_command_form_body: string;
}

export interface EventEnvelope {
  team_id: string;
  event_id: string;
  event: Record<string, unknown>;
  [key: string]: unknown;
}

export const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/slack/events.json', import.meta.url), 'utf8'),
) as Fixtures;

let eventCounter = 0;

/**
 * Builds an event envelope from the documented app_mention payload, with `event` fields
 * replaced and a fresh event id unless one is given.
 */
export function envelope(event: Record<string, unknown>, eventId?: string): EventEnvelope {
  const base = structuredClone(fixtures.app_mention_event_callback);
  eventCounter++;
  return { ...base, event_id: eventId ?? `Ev${String(eventCounter).padStart(6, '0')}`, event: { ...base.event, ...event } };
}

/** Returns the texts the bot finally shows: the placeholder's chat.update plus later posts. */
export function shownTexts(testbed: Testbed): string[] {
  return testbed.slack.calls
    .filter((call) => call.method === 'chat.update' || (call.method === 'chat.postMessage' && call.args.text !== THINKING_TEXT))
    .map((call) => String(call.args.text));
}

/** Returns the text of each section block of a chat.postMessage or chat.update call. */
export function sectionTexts(call: RecordedCall): string[] {
  return (call.args.blocks as { type: string; text: { text: string } }[]).map((block) => block.text.text);
}

/** Computes Slack's v0 request signature: HMAC-SHA256 over `v0:timestamp:body`. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface Testbed {
  harness: Harness;
  slack: SlackApiStandIn;
  adapter: SlackAdapter;
  eventsUrl: string;
  /** Posts a signed Events API body; `headers` adds or overrides headers such as X-Slack-Retry-Num. */
  postEvent(body: unknown, headers?: Record<string, string>, secret?: string): Promise<Response>;
  /** Posts a signed slash command with the documented form fields, the given ones replaced. */
  postCommand(fields: Record<string, string>): Promise<Response>;
  /** Resolves when no turn, command or home publish is running. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the OpenAI stand-in, the Slack Web API stand-in and the adapter in HTTP mode on 127.0.0.1. */
export async function startTestbed(env: Record<string, string> = {}): Promise<Testbed> {
  const slack = new SlackApiStandIn();
  const apiUrl = await slack.start();
  const harness = await startHarness({
    SLACK_BOT_TOKEN: 'xoxb-test-token-for-the-stand-in',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    PORT: '0',
    ...env,
  });
  const adapter = await startSlack(harness.frugal, { host: '127.0.0.1' });
  const eventsUrl = `http://127.0.0.1:${adapter.port}/slack/events`;

  const post = async (body: string, contentType: string, headers: Record<string, string>, secret: string) => {
    const timestamp = Math.floor(Date.now() / 1000);
    return fetch(eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(secret, timestamp, body),
        ...headers,
      },
      body,
    });
  };

  return {
    harness,
    slack,
    adapter,
    eventsUrl,
    postEvent: (body, headers = {}, secret = SIGNING_SECRET) => post(JSON.stringify(body), 'application/json', headers, secret),
    postCommand: (fields) => {
      const form = new URLSearchParams(fixtures.slash_command_form_body);
      form.set('team_id', TEAM_ID);
      form.delete('enterprise_id');
      form.delete('enterprise_name');
      for (const [key, value] of Object.entries(fields)) form.set(key, value);
      return post(form.toString(), 'application/x-www-form-urlencoded', {}, SIGNING_SECRET);
    },
    settle: () => adapter.settle(),
    async close() {
      await adapter.stop();
      await harness.close();
      await slack.stop();
    },
  };
}
