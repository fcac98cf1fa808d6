import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MAX_REQUEST_BODY_BYTES } from '../../src/slack/request-body-limit.js';
import { startSlack } from '../../src/slack/slack-adapter.js';
import { THINKING_TEXT } from '../../src/slack/turn-runner.js';
import { BOT_USER_ID, TEAM_ID } from './slack-api-stand-in.js';
import { envelope, fixtures, sectionTexts, shownTexts, sign, SIGNING_SECRET, startTestbed, type Testbed } from './slack-testbed.js';

const WORKSPACE = `slack:${TEAM_ID}`;
const CHANNEL = 'C123ABC456';
const USER = 'U061F7AUR';

/** Posts a body with a fresh timestamp and, when `signedBody` is given, the signature of that text. */
async function postRaw(testbed: Testbed, body: string | ReadableStream<Uint8Array>, signedBody: string | undefined): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp) };
  if (signedBody !== undefined) headers['x-slack-signature'] = sign(SIGNING_SECRET, timestamp, signedBody);
  return fetch(testbed.eventsUrl, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
}

/** Returns a body stream of `size` bytes sent in 64 KiB chunks, so no Content-Length is declared. */
function streamedBody(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) {
        controller.close();
        return;
      }
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
}

describe('slack HTTP mode', () => {
  let testbed: Testbed;

  beforeEach(async () => {
    // Output limits high enough that the stand-in's long answers are not cut.
    testbed = await startTestbed({ CHAT_MAX_TOKENS_DEFAULT: '4000', CHAT_MAX_TOKENS_COMPLEX: '4000' });
  });

  afterEach(async () => {
    await testbed.close();
  });

  it('answers a documented app_mention in its thread', async () => {
    const body = fixtures.app_mention_event_callback;
    const response = await testbed.postEvent(body);
    expect(response.status).toBe(200);
    await testbed.settle();

    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe(CHANNEL);
    expect(posts[0]!.args.thread_ts).toBe(body.event.ts);
    expect(posts[0]!.args.text).toBe(THINKING_TEXT);
    expect(posts[0]!.authorization).toBe('Bearer xoxb-test-token-for-the-stand-in');

    const updates = testbed.slack.callsOf('chat.update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.args.text).toBe('You asked: is it everything a river should be?');
    expect(sectionTexts(updates[0]!)).toEqual(['You asked: is it everything a river should be?']);

    const request = testbed.harness.openai.requests[0]!;
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'is it everything a river should be?' });
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(1);
  });

  it('answers a mention inside a thread in that thread', async () => {
    await testbed.postEvent(envelope({ ts: '1515449600.000200', thread_ts: '1515449522.000016', text: `<@${BOT_USER_ID}> and this?` }));
    await testbed.settle();
    expect(testbed.slack.callsOf('chat.postMessage')[0]!.args.thread_ts).toBe('1515449522.000016');
  });

  it('answers a retried delivery once', async () => {
    const body = envelope({ ts: '1515449700.000300', text: `<@${BOT_USER_ID}> retried question` });
    await testbed.postEvent(body);
    await testbed.postEvent(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await testbed.postEvent(body, { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' });
    await testbed.settle();

    expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(testbed.harness.openai.requests).toHaveLength(1);
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(1);
  });

  it('answers a first delivery marked as a retry', async () => {
    const body = envelope({ ts: '1515449800.000400', text: `<@${BOT_USER_ID}> first seen as a retry` });
    await testbed.postEvent(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' });
    await testbed.settle();

    expect(shownTexts(testbed)).toEqual(['You asked: first seen as a retry']);
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(1);
  });

  it('answers the app_mention and message pair once', async () => {
    const parent = envelope({ ts: '1515449900.000500', text: `<@${BOT_USER_ID}> start a thread` });
    await testbed.postEvent(parent);
    await testbed.settle();

    // A mention inside a followed thread arrives twice: as app_mention and as message.channels.
    const reply = { ts: '1515449901.000600', thread_ts: '1515449900.000500', text: `<@${BOT_USER_ID}> and again` };
    await Promise.all([
      testbed.postEvent(envelope({ ...reply, type: 'app_mention' })),
      testbed.postEvent(envelope({ ...reply, type: 'message', channel_type: 'channel' })),
    ]);
    await testbed.settle();

    expect(testbed.harness.openai.requests).toHaveLength(2);
    expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(2);
  });

  it('answers a parallel burst of deliveries once', async () => {
    await testbed.postEvent(envelope({ ts: '1515451200.000100', text: `<@${BOT_USER_ID}> start` }));
    await testbed.settle();
    const reply = { ts: '1515451201.000100', thread_ts: '1515451200.000100', text: `<@${BOT_USER_ID}> burst` };
    const deliveries = [];
    for (let i = 0; i < 6; i++) {
      const retry = i > 1 ? { 'x-slack-retry-num': String(i), 'x-slack-retry-reason': 'http_timeout' } : undefined;
      deliveries.push(testbed.postEvent(envelope({ ...reply, type: 'app_mention' }, `EvBurstA${i % 2}`), retry));
      deliveries.push(testbed.postEvent(envelope({ ...reply, type: 'message', channel_type: 'channel' }, `EvBurstM${i % 2}`), retry));
    }
    await Promise.all(deliveries);
    await testbed.settle();

    expect(testbed.harness.openai.requests).toHaveLength(2);
    expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(2);
  });

  it('ignores events without user, channel or ts', async () => {
    const base = envelope({ ts: '1515451300.000100', text: `<@${BOT_USER_ID}> missing fields` });
    const bodies = [
      { ...base, event: { ...base.event, user: undefined } },
      { ...base, event_id: 'EvNoChannel', event: { ...base.event, channel: undefined } },
      { ...base, event_id: 'EvNoTs', event: { ...base.event, ts: undefined } },
    ];
    for (const body of bodies) expect((await testbed.postEvent(body)).status).toBe(200);
    await testbed.settle();
    expect(testbed.harness.openai.requests).toHaveLength(0);
    expect(testbed.harness.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('gives a blocks-only mention the hint', async () => {
    await testbed.postEvent(envelope({ ts: '1515451400.000100', text: undefined, blocks: [{ type: 'rich_text', elements: [] }] }));
    await testbed.settle();
    expect(testbed.harness.openai.requests).toHaveLength(0);
    expect(shownTexts(testbed)).toEqual(['Ask me a question and I will answer it here.']);
  });

  it('answers file shares and thread broadcasts', async () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D024BE91L' };
    await testbed.postEvent(envelope({ ...dm, ts: '1515451500.000100', subtype: 'file_share', text: 'what is in this file?' }));
    await testbed.postEvent(envelope({ ...dm, ts: '1515451500.000200', subtype: 'bot_message', bot_id: 'B0OTHER', text: 'from a bot' }));
    await testbed.postEvent(
      envelope({ ts: '1515451500.000300', thread_ts: '1515451400.000900', subtype: 'thread_broadcast', text: `<@${BOT_USER_ID}> broadcast me` }),
    );
    await testbed.settle();
    expect(testbed.harness.openai.requests.map((request) => request.messages.at(-1)!.content)).toEqual(['what is in this file?', 'broadcast me']);
  });

  it('strips a mention in the middle', async () => {
    await testbed.postEvent(envelope({ ts: '1515451600.000100', text: `hey <@${BOT_USER_ID}|frugal>, ask <@U0ANN> about &lt;b&gt;` }));
    await testbed.settle();
    expect(testbed.harness.openai.requests[0]!.messages.at(-1)!.content).toBe('hey , ask @U0ANN about <b>');
  });

  it('rejects a forged signature without a model call', async () => {
    const body = envelope({ ts: '1515450000.000700', text: `<@${BOT_USER_ID}> forged` });
    const response = await testbed.postEvent(body, {}, 'not-the-signing-secret');
    await testbed.settle();

    expect(response.status).toBe(401);
    expect(testbed.harness.openai.requests).toHaveLength(0);
    expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('rejects a stale timestamp', async () => {
    const body = JSON.stringify(envelope({ ts: '1515450001.000701', text: `<@${BOT_USER_ID}> replayed` }));
    const stale = Math.floor(Date.now() / 1000) - 60 * 60;
    const response = await fetch(testbed.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(stale), 'x-slack-signature': sign(SIGNING_SECRET, stale, body) },
      body,
    });
    expect(response.status).toBe(401);
    expect(testbed.harness.openai.requests).toHaveLength(0);
  });

  it('answers a thread follow-up with the thread history', async () => {
    await testbed.postEvent(envelope({ ts: '1515450100.000800', text: `<@${BOT_USER_ID}> what is a river?` }));
    await testbed.settle();
    await testbed.postEvent(
      envelope({ type: 'message', channel_type: 'channel', ts: '1515450101.000900', thread_ts: '1515450100.000800', text: 'and a lake?' }),
    );
    await testbed.settle();

    const requests = testbed.harness.openai.requests;
    expect(requests).toHaveLength(2);
    const followUp = requests[1]!.messages.filter((message) => message.role !== 'system');
    expect(followUp).toEqual([
      { role: 'user', content: 'what is a river?' },
      { role: 'assistant', content: 'You asked: what is a river?' },
      { role: 'user', content: 'and a lake?' },
    ]);
    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts[1]!.args.thread_ts).toBe('1515450100.000800');
  });

  it('ignores thread replies in threads it has not answered', async () => {
    await testbed.postEvent(
      envelope({ type: 'message', channel_type: 'channel', ts: '1515450201.000100', thread_ts: '1515450200.000100', text: 'not for the bot' }),
    );
    await testbed.postEvent(envelope({ type: 'message', channel_type: 'channel', ts: '1515450202.000100', text: 'top-level chatter' }));
    await testbed.settle();
    expect(testbed.slack.calls.filter((call) => call.method.startsWith('chat.'))).toHaveLength(0);
    expect(testbed.harness.openai.requests).toHaveLength(0);
  });

  it('answers a direct message in the DM', async () => {
    await testbed.postEvent(
      envelope({ type: 'message', channel_type: 'im', channel: 'D024BE91L', ts: '1515450300.000100', text: 'hello there, how do refunds work?' }),
    );
    await testbed.settle();

    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe('D024BE91L');
    expect(posts[0]!.args.thread_ts).toBeUndefined();
    expect(shownTexts(testbed)).toEqual(['You asked: hello there, how do refunds work?']);
  });

  it('ignores its own, bot, edited, deleted and join messages', async () => {
    const dm = { type: 'message', channel_type: 'im', channel: 'D024BE91L', text: 'hello' };
    await testbed.postEvent(envelope({ ...dm, ts: '1515450400.000001', user: BOT_USER_ID }));
    await testbed.postEvent(envelope({ ...dm, ts: '1515450400.000002', bot_id: 'B0OTHER', subtype: 'bot_message' }));
    await testbed.postEvent(envelope({ ...dm, ts: '1515450400.000003', subtype: 'message_changed' }));
    await testbed.postEvent(envelope({ ...dm, ts: '1515450400.000004', subtype: 'message_deleted' }));
    await testbed.postEvent(envelope({ ...dm, ts: '1515450400.000005', subtype: 'channel_join', channel_type: 'channel' }));
    await testbed.settle();
    expect(testbed.slack.calls.filter((call) => call.method.startsWith('chat.'))).toHaveLength(0);
    expect(testbed.harness.openai.requests).toHaveLength(0);
  });

  it('gives a hint for an empty mention without a model call', async () => {
    await testbed.postEvent(envelope({ ts: '1515450500.000100', text: `<@${BOT_USER_ID}>   ` }));
    await testbed.settle();

    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.text).toBe('Ask me a question and I will answer it here.');
    expect(testbed.slack.callsOf('chat.update')).toHaveLength(0);
    expect(testbed.harness.openai.requests).toHaveLength(0);
  });

  it('splits a long answer into messages Slack accepts', async () => {
    const paragraph = 'Rivers carry water from high ground to the sea, shaping valleys as they go. ';
    testbed.harness.openai.behaviour.reply = () => Array.from({ length: 12 }, () => paragraph.repeat(10)).join('\n\n');
    await testbed.postEvent(envelope({ ts: '1515450600.000100', text: `<@${BOT_USER_ID}> tell me everything about rivers` }));
    await testbed.settle();

    const shown = shownTexts(testbed);
    expect(shown.length).toBeGreaterThan(1);
    for (const text of shown) expect(text.length).toBeLessThanOrEqual(3000);
    const followUps = testbed.slack.callsOf('chat.postMessage').slice(1);
    for (const post of followUps) expect(post.args.thread_ts).toBe('1515450600.000100');
    for (const call of [...testbed.slack.callsOf('chat.update'), ...followUps]) {
      for (const section of sectionTexts(call)) expect(section.length).toBeLessThanOrEqual(3000);
    }
    expect(testbed.harness.openai.requests).toHaveLength(1);
    expect(shown.join(' ').split('Rivers carry water').length - 1).toBe(120);
  });

  it('renders Markdown as mrkdwn', async () => {
    testbed.harness.openai.behaviour.reply = () =>
      '## Steps\n1. Open **Settings**\n- pick *Billing* or [the docs](https://example.com/help?a=1&b=2)\n```js\nif (a < b) run();\n```';
    await testbed.postEvent(envelope({ ts: '1515450700.000100', text: `<@${BOT_USER_ID}> how do I change billing?` }));
    await testbed.settle();

    expect(shownTexts(testbed)).toEqual([
      '*Steps*\n1. Open *Settings*\n• pick _Billing_ or <https://example.com/help?a=1&amp;b=2|the docs>\n```\nif (a &lt; b) run();\n```',
    ]);
  });

  it('neutralizes mass pings in answers', async () => {
    testbed.harness.openai.behaviour.reply = () =>
      'Ping <!channel> <!here> <!everyone> <!subteam^S0614TZR7|@support> <@U0ADMIN> and @here @channel';
    await testbed.postEvent(envelope({ ts: '1515450800.000100', text: `<@${BOT_USER_ID}> ping everyone please` }));
    await testbed.settle();

    const [shown] = shownTexts(testbed);
    for (const markup of ['<!channel>', '<!here>', '<!everyone>', '<!subteam^', '<@U0ADMIN>']) {
      expect(shown).not.toContain(markup);
    }
    expect(shown).not.toMatch(/@(here|channel)\b/);
    expect(shown).toContain('&lt;!channel&gt;');
  });

  it('neutralizes pings in split code blocks', async () => {
    const code = Array.from({ length: 120 }, (_, i) => `echo "step ${i} <!channel> @here <@U0ADMIN>" && run --flag=${i}`).join('\n');
    testbed.harness.openai.behaviour.reply = () =>
      `Hey <!here> and <!subteam^S1|@ops>, read [the <!everyone> guide](https://example.com/a?b=1&c=2) first.\n\n` +
      `\`\`\`sh\n${code}\n\`\`\`\n\nAlso \`@channel\` and ${'All done @everyone. '.repeat(200)}`;
    await testbed.postEvent(envelope({ ts: '1515450850.000100', text: `<@${BOT_USER_ID}> give me the whole script` }));
    await testbed.settle();

    const shown = shownTexts(testbed);
    expect(shown.length).toBeGreaterThan(1);
    for (const text of shown) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/<!(channel|here|everyone|subteam)/);
      expect(text).not.toMatch(/<@U/);
      expect(text).not.toMatch(/@(here|channel|everyone)\b/);
      expect(text.split('```').length % 2).toBe(1);
    }
    expect(shown.join('\n').split('step 119').length).toBe(2);
  });

  it('records an event without team_id under the bot team', async () => {
    const body: Record<string, unknown> = envelope({ ts: '1515450950.000100', text: `<@${BOT_USER_ID}> which workspace am I in?` });
    delete body.team_id;
    delete body.authorizations;
    await testbed.postEvent(body);
    await testbed.settle();

    expect(shownTexts(testbed)).toEqual(['You asked: which workspace am I in?']);
    const [finished] = testbed.harness.logs.withMessage('turn finished');
    expect(finished?.workspace).toBe(WORKSPACE);
    expect(await testbed.harness.frugal.store.ledger.recordCount(WORKSPACE)).toBe(1);
  });

  it('passes user markup to the model as plain text', async () => {
    await testbed.postEvent(
      envelope({ ts: '1515450900.000100', text: `<@${BOT_USER_ID}> ask <@U0ANN|ann> in <#C0GEN|general> about <https://example.com|the page> &amp; more` }),
    );
    await testbed.settle();
    expect(testbed.harness.openai.requests[0]!.messages.at(-1)!.content).toBe(
      'ask @ann in #general about the page (https://example.com) & more',
    );
  });

  it('rejects a declared oversized body with 413', async () => {
    const response = await postRaw(testbed, 'a'.repeat(32 * 1024 * 1024), undefined);
    expect(response.status).toBe(413);
    expect(await response.text()).toContain(String(MAX_REQUEST_BODY_BYTES));
    expect(testbed.harness.logs.withMessage('slack request body too large; rejected with 413')).toHaveLength(1);
  });

  it('rejects a streamed oversized body with 413', async () => {
    const response = await postRaw(testbed, streamedBody(8 * 1024 * 1024), undefined);
    expect(response.status).toBe(413);
    const [logged] = testbed.harness.logs.withMessage('slack request body too large; rejected with 413');
    expect(logged?.receivedBytes).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    expect(logged?.receivedBytes).toBeLessThan(2 * MAX_REQUEST_BODY_BYTES);
  });

  it('checks the signature of a body within the limit', async () => {
    const body = JSON.stringify(envelope({ ts: '1515451000.000100', text: `<@${BOT_USER_ID}> ${'x'.repeat(500_000)}` }));
    expect((await postRaw(testbed, body, undefined)).status).toBe(401);
    expect((await postRaw(testbed, body, body)).status).toBe(200);
    await testbed.settle();
    // The core rejects a question this long, so the reply is its notice and no model call is made.
    expect(shownTexts(testbed)).toHaveLength(1);
    expect(shownTexts(testbed)[0]).toContain('Your message is too long');
  });

  it('answers url_verification only when signed', async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'challenge-value-42', type: 'url_verification' });
    const signed = await postRaw(testbed, body, body);
    expect(signed.status).toBe(200);
    expect(await signed.text()).toContain('challenge-value-42');
    expect((await postRaw(testbed, body, undefined)).status).toBe(401);
  });

  it('rejects signed malformed JSON and keeps answering', async () => {
    const body = '{"type": "event_callback", ';
    expect((await postRaw(testbed, body, body)).status).toBe(400);
    await testbed.postEvent(envelope({ ts: '1515451100.000100', text: `<@${BOT_USER_ID}> still there?` }));
    await testbed.settle();
    expect(shownTexts(testbed)).toEqual(['You asked: still there?']);
  });
});

describe('slack HTTP mode across a restart', () => {
  it('drops a retry after the adapter restarts', async () => {
    const testbed = await startTestbed();
    try {
      const body = envelope({ ts: '1515462000.000100', text: `<@${BOT_USER_ID}> asked before a restart` });
      await testbed.postEvent(body);
      await testbed.settle();
      await testbed.adapter.stop();

      const restarted = await startSlack(testbed.harness.frugal, { host: '127.0.0.1' });
      try {
        const raw = JSON.stringify(body);
        const timestamp = Math.floor(Date.now() / 1000);
        const response = await fetch(`http://127.0.0.1:${restarted.port}/slack/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': sign(SIGNING_SECRET, timestamp, raw),
            'x-slack-retry-num': '1',
            'x-slack-retry-reason': 'http_timeout',
          },
          body: raw,
        });
        expect(response.status).toBe(200);
        await restarted.settle();
      } finally {
        await restarted.stop();
      }
      expect(testbed.harness.openai.requests).toHaveLength(1);
      expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(1);
    } finally {
      await testbed.harness.close();
      await testbed.slack.stop();
    }
  });
});
