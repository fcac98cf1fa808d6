import { afterEach, describe, expect, it } from 'vitest';

import type { CommandRequest } from '../../src/commands/commands.js';
import { formatUsd } from '../../src/commands/money.js';
import type { IncomingMessage } from '../../src/core/types.js';
import { type Harness, startHarness } from '../support/frugal-harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function command(name: string, args = '', overrides: Partial<CommandRequest> = {}): CommandRequest {
  return { platform: 'slack', workspaceId: 'T1', userId: 'U1', name, args, isPlatformAdmin: false, ...overrides };
}

function turn(text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return { platform: 'slack', workspaceId: 'T1', conversationId: 'C1', userId: 'U1', text, isDirectMessage: false, ...overrides };
}

describe('/stats', () => {
  it('shows the caller their own spend with small amounts visible', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(turn('How do I export my invoices?', { conversationId: 'a' }));
    await h.frugal.session.handle(turn('How do I export my invoices?', { conversationId: 'b' }));
    await h.frugal.session.handle(turn('Where is the API documentation?', { conversationId: 'c', userId: 'U2' }));
    const text = await h.frugal.commands.run(command('stats'));
    const rows = await h.frugal.store.ledger.userTotals('slack:T1', 'U1', new Date());
    expect(rows.total.turns).toBe(2);
    expect(text).toContain('**Your usage**');
    expect(text).toMatch(/Today \(UTC\): \$0\.0000\d+ over 2 messages/);
    expect(text).toContain('Cache: 1 hit (50.0% of messages)');
    expect(text).not.toContain('$0.00 ');
    expect(text).not.toContain('**Workspace**');
  });

  it('shows admins workspace totals, top users, models and conversations', async () => {
    harness = await startHarness({ ADMIN_USER_IDS: 'slack:UADMIN' });
    const h = harness;
    await h.frugal.session.handle(turn('How do I export my invoices?', { conversationId: 'a' }));
    await h.frugal.session.handle(turn('Compare the Pro and Team plans', { conversationId: 'b', userId: 'U2' }));
    const text = await h.frugal.commands.run(command('stats', '', { userId: 'UADMIN' }));
    expect(text).toContain('**Workspace**');
    expect(text).toMatch(/All time: \$0\.\d+ over 2 messages/);
    expect(text).toMatch(/1\. U2: \$0\.\d+ over 1 message$/m);
    expect(text).toMatch(/- gpt-4o: 1 message, /);
    expect(text).toMatch(/- gpt-4o-mini: 1 message, /);
    expect(text).toContain('**Most expensive conversations**');
    expect(text.indexOf('1. b:')).toBeGreaterThan(0);
  });
});

describe('/model', () => {
  it('shows automatic routing and prices', async () => {
    harness = await startHarness();
    const text = await harness.frugal.commands.run(command('model'));
    expect(text).toContain('automatic routing: simple questions go to gpt-4o-mini');
    expect(text).toContain('- gpt-4o-mini: $0.15 / $0.075 / $0.6');
  });

  it('refuses a non-admin', async () => {
    harness = await startHarness();
    const text = await harness.frugal.commands.run(command('model', 'gpt-4o'));
    expect(text).toContain('Only workspace admins can change the model');
    expect(text).toContain('slack:U1');
    expect(await harness.frugal.session.settings.get('slack:T1')).toEqual({});
  });

  it('rejects an unknown model, repeating it and listing known ones', async () => {
    harness = await startHarness();
    const text = await harness.frugal.commands.run(command('model', 'gpt-4x', { isPlatformAdmin: true }));
    expect(text).toContain('Unknown model "gpt-4x"');
    expect(text).toContain('gpt-4o-mini, gpt-4o');
    expect(await harness.frugal.session.settings.get('slack:T1')).toEqual({});
  });

  it('pins a model for an admin and returns to routing with auto', async () => {
    harness = await startHarness({ ADMIN_USER_IDS: 'slack:U1' });
    const h = harness;
    expect(await h.frugal.commands.run(command('model', 'gpt-4o'))).toContain('now uses gpt-4o');
    expect(await h.frugal.commands.run(command('model'))).toContain('pinned to **gpt-4o**');
    expect(await h.frugal.session.settings.get('slack:T2')).toEqual({});
    expect(await h.frugal.commands.run(command('model', 'AUTO'))).toContain('back on automatic routing');
    expect(await h.frugal.session.settings.get('slack:T1')).toEqual({});
  });
});

describe('/model names', () => {
  it('rejects extra words with the usage', async () => {
    harness = await startHarness();
    const text = await harness.frugal.commands.run(command('model', 'gpt-4o-mini extra words', { isPlatformAdmin: true }));
    expect(text).toBe(
      '`/model gpt-4o-mini extra words` names more than one model. Usage: `/model` shows the models and prices, ' +
        '`/model NAME` pins one model for every question, and `/model auto` returns to routing.',
    );
    expect(await harness.frugal.session.settings.get('slack:T1')).toEqual({});
  });

  it('pins the canonical name', async () => {
    harness = await startHarness();
    const h = harness;
    const text = await h.frugal.commands.run(command('model', 'GPT-4O', { isPlatformAdmin: true }));
    expect(text).toContain('now uses gpt-4o for every question');
    expect(await h.frugal.session.settings.get('slack:T1')).toEqual({ model: 'gpt-4o' });
    await h.frugal.session.handle(turn('How do I export data?'));
    expect(h.openai.requests[0]!.model).toBe('gpt-4o');
  });
});

describe('/optimize', () => {
  it('prices the saving of routing pinned simple turns', async () => {
    harness = await startHarness({ CHAT_ENABLE_CACHE: 'false' });
    const h = harness;
    await h.frugal.commands.run(command('model', 'gpt-4o', { isPlatformAdmin: true }));
    for (let i = 0; i < 4; i++) await h.frugal.session.handle(turn('thanks!', { conversationId: `c${i}` }));
    const text = await h.frugal.commands.run(command('optimize'));
    expect(text).toContain('**Suggestions from the last 30 days**');
    expect(text).toMatch(/4 simple questions \(100\.0% of them\) ran on gpt-4o \(\$0\.\d+\); on gpt-4o-mini they would have cost \$0\.\d+/);
    expect(text).toContain('`/model auto`');
    expect(text).toMatch(/3 paid answers repeated 1 question asked before/);

    // Hand-priced from the usage the stand-in reported: gpt-4o is $2.50 in and $10 out per 1M
    // tokens, gpt-4o-mini $0.15 and $0.60, and no prompt here is long enough to be cached.
    expect(h.openai.requests).toHaveLength(4);
    const totals = (await h.frugal.store.ledger.workspaceTotals('slack:T1', new Date())).total;
    expect(totals.cachedTokens).toBe(0);
    const onStrong = totals.promptTokens * 2.5 + totals.completionTokens * 10;
    const onCheap = totals.promptTokens * 0.15 + totals.completionTokens * 0.6;
    expect(totals.costPico).toBe(Math.round(onStrong * 1e6));
    expect(text).toContain(`on gpt-4o-mini they would have cost ${formatUsd(Math.round(onCheap * 1e6))}`);
  });

  it('says an empty ledger has no turns', async () => {
    harness = await startHarness();
    const text = await harness.frugal.commands.run(command('optimize'));
    expect(text).toContain('No answered turns yet in this period, so there is nothing to suggest.');
    expect(text).not.toContain('every turn used its routed model');
  });

  it('says when routed turns leave nothing to save', async () => {
    harness = await startHarness();
    const h = harness;
    await h.frugal.session.handle(turn('How do I export data?'));
    expect(await h.frugal.commands.run(command('optimize'))).toContain('Nothing to suggest: every turn used its routed model');
  });

  it('reports cut answers', async () => {
    harness = await startHarness({ CHAT_MAX_TOKENS_DEFAULT: '5' });
    const h = harness;
    h.openai.behaviour.reply = () => 'A long answer that certainly needs more than five tokens to finish.';
    await h.frugal.session.handle(turn('Tell me about the retention policy'));
    const text = await h.frugal.commands.run(command('optimize'));
    expect(text).toMatch(/1 answer from gpt-4o-mini stopped at the output limit/);
  });

  it('names unknown commands', async () => {
    harness = await startHarness();
    expect(await harness.frugal.commands.run(command('budget'))).toBe(
      'Unknown command /budget. The commands are /stats, /optimize, /model.',
    );
  });
});
