import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BOT_USER_ID, TEAM_ID } from './slack-api-stand-in.js';
import { envelope, startTestbed, type Testbed } from './slack-testbed.js';

const ADMIN = 'U0ADMIN01';
const MEMBER = 'U0MEMBER1';
const LISTED = 'U0LISTED1';

describe('slack slash commands and App Home', () => {
  let testbed: Testbed;

  beforeEach(async () => {
    testbed = await startTestbed({ ADMIN_USER_IDS: `slack:${LISTED}` });
    testbed.slack.users.set(ADMIN, { is_admin: true });
    testbed.slack.users.set(MEMBER, {});
    testbed.slack.users.set(LISTED, {});
  });

  afterEach(async () => {
    await testbed.close();
  });

  async function runCommand(user: string, command: string, text = '') {
    const id = `${user}-${command.slice(1)}-${Math.random().toString(36).slice(2)}`;
    const response = await testbed.postCommand({ user_id: user, command, text, response_url: testbed.slack.responseUrl(id) });
    await testbed.settle();
    const replies = testbed.slack.callsOf('respond').filter((call) => String(call.args.url).endsWith(id));
    return { response, replies, text: replies.map((call) => String(call.args.text)).join('\n') };
  }

  it('acknowledges /stats and responds ephemerally', async () => {
    await testbed.postEvent(envelope({ user: MEMBER, ts: '1515451000.000100', text: `<@${BOT_USER_ID}> what is a delta?` }));
    await testbed.settle();

    const { response, replies, text } = await runCommand(MEMBER, '/stats');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) expect(reply.args.response_type).toBe('ephemeral');
    expect(text).toContain('*Your usage*');
    expect(text).toContain('All time: $');
    expect(text).toContain('over 1 message');
    expect(text).not.toContain('Workspace');
  });

  it('shows workspace totals in /stats to admins', async () => {
    const { text } = await runCommand(ADMIN, '/stats');
    expect(text).toContain('*Workspace*');
  });

  it('runs /optimize', async () => {
    const { replies, text } = await runCommand(MEMBER, '/optimize');
    expect(replies[0]!.args.response_type).toBe('ephemeral');
    expect(text).toContain('Suggestions from the last 30 days');
  });

  it('shows the model setting with /model', async () => {
    const { text } = await runCommand(MEMBER, '/model');
    expect(text).toContain('automatic routing');
    expect(text).toContain('gpt-4o-mini');
  });

  it('rejects /model NAME from a non-admin', async () => {
    const { text } = await runCommand(MEMBER, '/model', 'gpt-4o');
    expect(text).toContain('Only workspace admins can change the model');
    expect(text).toContain(`slack:${MEMBER}`);
    const settings = await testbed.harness.frugal.session.settings.get(`slack:${TEAM_ID}`);
    expect(settings.model).toBeUndefined();
  });

  it('applies an admin /model on the next turn', async () => {
    const { text } = await runCommand(ADMIN, '/model', 'gpt-4o');
    expect(text).toContain('This workspace now uses gpt-4o');

    await testbed.postEvent(envelope({ user: MEMBER, ts: '1515451100.000100', text: `<@${BOT_USER_ID}> hi` }));
    await testbed.settle();
    expect(testbed.harness.openai.requests.at(-1)!.model).toBe('gpt-4o');

    await runCommand(ADMIN, '/model', 'auto');
    await testbed.postEvent(envelope({ user: MEMBER, ts: '1515451101.000100', text: `<@${BOT_USER_ID}> hello` }));
    await testbed.settle();
    expect(testbed.harness.openai.requests.at(-1)!.model).toBe('gpt-4o-mini');
  });

  it('escapes markup in an unknown model name', async () => {
    const { replies, text } = await runCommand(ADMIN, '/model', '<!channel> <@U0OTHER>');
    expect(replies.length).toBeGreaterThan(0);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('answers /stats with odd arguments', async () => {
    const { replies, text } = await runCommand(MEMBER, '/stats', '*'.repeat(3000) + ' \u0000 `');
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) expect(reply.args.response_type).toBe('ephemeral');
    expect(text).toContain('All time');
  });

  it('lets ADMIN_USER_IDS change the model', async () => {
    const { text } = await runCommand(LISTED, '/model', 'gpt-4o');
    expect(text).toContain('This workspace now uses gpt-4o');
  });

  it('treats a failed users.info as no admin', async () => {
    testbed.slack.failNext('users.info', { error: 'user_not_found' });
    const { text } = await runCommand(ADMIN, '/model', 'gpt-4o');
    expect(text).toContain('Only workspace admins can change the model');
  });

  it('publishes the Home tab with the viewer spend', async () => {
    await testbed.postEvent(envelope({ user: MEMBER, ts: '1515451200.000100', text: `<@${BOT_USER_ID}> what is a delta?` }));
    await testbed.settle();
    await testbed.postEvent(envelope({ type: 'app_home_opened', user: MEMBER, channel: 'D0HOME', tab: 'home', text: undefined }));
    await testbed.settle();

    const [publish] = testbed.slack.callsOf('views.publish');
    expect(publish!.args.user_id).toBe(MEMBER);
    const view = publish!.args.view as { type: string; blocks: { text?: { text: string } }[] };
    expect(view.type).toBe('home');
    const texts = view.blocks.map((block) => block.text?.text ?? '').join('\n');
    expect(texts).toContain('*Your usage*');
    expect(texts).toContain('All time: $');
    expect(texts).toContain('over 1 message');
    expect(texts).not.toContain('*Workspace*');
  });

  it('shows workspace totals and the model on the Home tab to admins', async () => {
    await runCommand(ADMIN, '/model', 'gpt-4o');
    await testbed.postEvent(envelope({ type: 'app_home_opened', user: ADMIN, channel: 'D0HOME', tab: 'home', text: undefined }));
    await testbed.settle();

    const view = testbed.slack.callsOf('views.publish')[0]!.args.view as { blocks: { text?: { text: string } }[] };
    const texts = view.blocks.map((block) => block.text?.text ?? '').join('\n');
    expect(texts).toContain('*Workspace*');
    expect(texts).toContain('Pinned to *gpt-4o*');
  });

  it('ignores the Messages tab', async () => {
    await testbed.postEvent(envelope({ type: 'app_home_opened', user: MEMBER, channel: 'D0HOME', tab: 'messages', text: undefined }));
    await testbed.settle();
    expect(testbed.slack.callsOf('views.publish')).toHaveLength(0);
  });
});
