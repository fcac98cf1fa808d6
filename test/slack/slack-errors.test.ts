import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { EMPTY_ANSWER_REPLY, MODEL_UNAVAILABLE_REPLY } from '../../src/core/chat-session.js';
import { SlackStartError, startSlack } from '../../src/slack/slack-adapter.js';
import { PARTIAL_ANSWER_NOTICE, THINKING_TEXT, TURN_FAILED_REPLY } from '../../src/slack/turn-runner.js';
import { startHarness } from '../support/frugal-harness.js';
import { BOT_USER_ID, SlackApiStandIn, TEAM_ID } from './slack-api-stand-in.js';
import { envelope, sectionTexts, shownTexts, SIGNING_SECRET, startTestbed, type Testbed } from './slack-testbed.js';

function mention(ts: string, text = 'where is the river?') {
  return envelope({ ts, text: `<@${BOT_USER_ID}> ${text}` });
}

/** Runs SQL on the store's key-value file, as an operator or a broken disk could. */
function alterStore(testbed: Testbed, sql: string): void {
  const database = new BetterSqlite3(join(testbed.harness.directory, 'frugal.sqlite'));
  database.exec(sql);
  database.close();
}

/** The table @keyv/sqlite creates, for restoring the store after a test dropped it. */
const KEYV_TABLE = 'CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)';

describe('slack API errors', () => {
  let testbed: Testbed;

  beforeEach(async () => {
    // Output limits high enough that the stand-in's long answers are not cut.
    testbed = await startTestbed({ CHAT_MAX_TOKENS_DEFAULT: '4000', CHAT_MAX_TOKENS_COMPLEX: '4000' });
  });

  afterEach(async () => {
    await testbed.close();
  });

  it('skips the model when the bot cannot post', async () => {
    testbed.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await testbed.postEvent(mention('1515452000.000100'));
    await testbed.settle();

    expect(testbed.harness.openai.requests).toHaveLength(0);
    const [failure] = testbed.harness.logs.withMessage('slack call failed');
    expect(failure).toMatchObject({ slackError: 'not_in_channel', method: 'chat.postMessage', channel: 'C123ABC456', ts: '1515452000.000100' });
  });

  it('keeps answering after a failed turn', async () => {
    testbed.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await testbed.postEvent(mention('1515452100.000100'));
    // The first turn must take the failure: two turns in flight could reach chat.postMessage in either order.
    await testbed.settle();
    await testbed.postEvent(mention('1515452101.000100', 'second question'));
    await testbed.settle();
    expect(testbed.slack.callsOf('chat.update').map((call) => call.args.text)).toEqual(['You asked: second question']);
  });

  it('retries a rate-limited call after Retry-After', async () => {
    testbed.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await testbed.postEvent(mention('1515452200.000100'));
    await testbed.settle();

    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.args.text).toBe(THINKING_TEXT);
    expect(testbed.slack.callsOf('chat.update')[0]!.args.text).toBe('You asked: where is the river?');
    const retries = testbed.harness.logs.withMessage('slack call rate limited; retrying');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ method: 'chat.postMessage', retryAfter: 1 });
  });

  it('gives up on a long Retry-After at once', async () => {
    testbed.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1800 });
    await testbed.postEvent(mention('1515452300.000100'));
    await testbed.settle();

    expect(testbed.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(testbed.harness.openai.requests).toHaveLength(0);
    const [failure] = testbed.harness.logs.withMessage('slack call failed');
    expect(failure).toMatchObject({ slackError: 'ratelimited', retryAfter: 1800 });
  });

  it('posts the answer anew when chat.update fails', async () => {
    testbed.slack.failNext('chat.update', { error: 'msg_too_long' });
    await testbed.postEvent(mention('1515452400.000100'));
    await testbed.settle();

    const posts = testbed.slack.callsOf('chat.postMessage');
    expect(posts.map((call) => call.args.text)).toEqual([THINKING_TEXT, 'You asked: where is the river?']);
    expect(posts[1]!.args.thread_ts).toBe('1515452400.000100');
    expect(testbed.harness.logs.withMessage('slack call failed')[0]).toMatchObject({ slackError: 'msg_too_long', method: 'chat.update' });
  });

  it('names the Slack error when no answer can be posted', async () => {
    testbed.slack.failNext('chat.update', { error: 'msg_too_long' });
    testbed.slack.failNext('chat.postMessage', 'pass', { error: 'msg_too_long' });
    await testbed.postEvent(mention('1515452500.000100'));
    await testbed.settle();

    const updates = testbed.slack.callsOf('chat.update');
    expect(updates).toHaveLength(2);
    expect(updates[1]!.args.text).toBe('I could not post the answer: Slack returned msg_too_long.');
  });

  it('keeps the partial-answer notice within blocks', async () => {
    const paragraph = 'Rivers carry water from high ground to the sea, shaping valleys as they go. ';
    // One line without breaks, so the first part is cut at a space just under 3,000 characters.
    testbed.harness.openai.behaviour.reply = () => paragraph.repeat(60);
    testbed.slack.failNext('chat.postMessage', 'pass', { status: 429, retryAfter: 600 });
    await testbed.postEvent(mention('1515452550.000100', 'tell me everything about rivers'));
    await testbed.settle();

    const updates = testbed.slack.callsOf('chat.update');
    expect(updates).toHaveLength(2);
    const first = sectionTexts(updates[0]!);
    expect(first).toHaveLength(1);
    expect(first[0]!.length).toBeGreaterThan(2900);
    const sections = sectionTexts(updates[1]!);
    expect(sections).toEqual([first[0], PARTIAL_ANSWER_NOTICE]);
    for (const section of sections) expect(section.length).toBeLessThanOrEqual(3000);
  });

  it('tells the user when the model is unavailable', async () => {
    testbed.harness.openai.behaviour.failWithStatus = 500;
    await testbed.postEvent(mention('1515452600.000100'));
    await testbed.settle();
    expect(testbed.slack.callsOf('chat.update')[0]!.args.text).toBe(MODEL_UNAVAILABLE_REPLY);
  });

  it('replaces an empty answer with a notice', async () => {
    testbed.harness.openai.behaviour.reply = () => '';
    await testbed.postEvent(mention('1515452650.000100'));
    await testbed.settle();
    expect(testbed.slack.callsOf('chat.update')[0]!.args.text).toBe(EMPTY_ANSWER_REPLY);
  });

  it('logs a revoked token without crashing', async () => {
    testbed.slack.failNext('chat.postMessage', { error: 'token_revoked' });
    await testbed.postEvent(mention('1515452700.000100'));
    await testbed.postEvent({ ...envelope({ type: 'tokens_revoked', tokens: { bot: [BOT_USER_ID] }, text: undefined }) });
    await testbed.settle();

    expect(testbed.harness.logs.withMessage('slack call failed')[0]).toMatchObject({ slackError: 'token_revoked' });
    expect(testbed.harness.logs.withMessage('slack tokens revoked; reinstall the app and update SLACK_BOT_TOKEN')).toHaveLength(1);
    const response = await testbed.postEvent(mention('1515452701.000100'));
    expect(response.status).toBe(200);
  });

  it('replies with a notice when the store fails', async () => {
    alterStore(testbed, 'DROP TABLE keyv');
    await testbed.postEvent(mention('1515452900.000100'));
    await testbed.settle();

    expect(shownTexts(testbed)).toEqual([TURN_FAILED_REPLY]);
    expect(testbed.slack.callsOf('chat.postMessage')[0]!.args.thread_ts).toBe('1515452900.000100');
    expect(testbed.harness.openai.requests).toHaveLength(0);
    const [failure] = testbed.harness.logs.withMessage('slack turn failed');
    expect(failure).toMatchObject({ team: TEAM_ID, channel: 'C123ABC456', ts: '1515452900.000100', user: 'U061F7AUR' });
    expect(failure!.err).toBeDefined();
  });

  it('answers a retry once the store recovers', async () => {
    const body = mention('1515452950.000100');
    alterStore(testbed, 'DROP TABLE keyv');
    await testbed.postEvent(body);
    await testbed.settle();
    alterStore(testbed, KEYV_TABLE);
    await testbed.postEvent(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await testbed.settle();

    expect(shownTexts(testbed)).toEqual([TURN_FAILED_REPLY, 'You asked: where is the river?']);
    expect(testbed.harness.openai.requests).toHaveLength(1);
  });

  it('stays silent in threads when the store fails', async () => {
    alterStore(testbed, 'DROP TABLE keyv');
    await testbed.postEvent(
      envelope({ type: 'message', channel_type: 'channel', ts: '1515452960.000200', thread_ts: '1515452960.000100', text: 'any news?' }),
    );
    await testbed.settle();

    expect(testbed.slack.calls.filter((call) => call.method.startsWith('chat.'))).toHaveLength(0);
    expect(testbed.harness.logs.withMessage('slack turn failed')).toHaveLength(1);
  });

  it('keeps DM text out of every log line', async () => {
    testbed.harness.openai.behaviour.failWithStatus = 500;
    testbed.slack.failNext('chat.update', { error: 'msg_too_long' }, { error: 'msg_too_long' });
    testbed.slack.failNext('chat.postMessage', 'pass', { error: 'invalid_auth' });
    await testbed.postEvent(
      envelope({ type: 'message', channel_type: 'im', channel: 'D024BE91L', ts: '1515452970.000100', text: 'my password is hunter2-zebra, why am I locked out?' }),
    );
    await testbed.settle();
    expect(testbed.harness.logs.withMessage('slack call failed').length).toBeGreaterThan(0);
    expect(testbed.harness.logs.raw.some((line) => line.includes('hunter2-zebra'))).toBe(false);
  });

  it('never logs the bot token', async () => {
    testbed.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await testbed.postEvent(mention('1515452800.000100'));
    await testbed.settle();
    expect(testbed.harness.logs.raw.join('\n')).not.toContain('xoxb-test-token');
  });
});

describe('slack start', () => {
  it('rejects a revoked bot token with the fix', async () => {
    const slack = new SlackApiStandIn();
    const apiUrl = await slack.start();
    slack.authError = 'token_revoked';
    const harness = await startHarness({
      SLACK_BOT_TOKEN: 'xoxb-revoked',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: apiUrl,
      PORT: '0',
    });
    try {
      const start = startSlack(harness.frugal, { host: '127.0.0.1' });
      await expect(start).rejects.toThrow(SlackStartError);
      await expect(start).rejects.toThrow(/SLACK_BOT_TOKEN \(token_revoked\)/);
      expect(slack.callsOf('auth.test')).toHaveLength(1);
    } finally {
      await harness.close();
      await slack.stop();
    }
  });
});
