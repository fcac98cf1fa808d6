import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { POLICY_NAMES } from '../../src/replay/policies.js';
import { readPaths } from '../../src/replay/read-paths.js';
import { runReplay } from '../../src/replay/replay.js';
import { buildReport } from '../../src/replay/report.js';
import {
  CHEAP_PRICE,
  type Exchange,
  expectedPrompts,
  firstTokens,
  FIXTURES,
  messageTokens,
  silentLogger,
  STRONG_PRICE,
  sum,
  SYSTEM_PROMPT,
  testPolicy,
  tokens,
} from './support.js';

/** The conversations of fixtures/replay/slack-tiny, with each turn's recorded answer. */
const SLACK_TINY: Exchange[][] = [
  [
    ['How do I rotate the API key?', 'Go to Settings, then Keys, then Rotate.'],
    ['Go to Settings, then Keys, then Rotate.', 'Thanks, that worked.'],
    ['Thanks, that worked.', ''],
  ],
  [
    ['Is the office open on Friday?', 'Yes, from 9 to 5.'],
    ['Yes, from 9 to 5.', ''],
  ],
  [
    ['Lunch at noon today?', 'Sure, see you there.'],
    ['Sure, see you there.', ''],
  ],
  [
    ['Can you review my pull request?', 'Yes, after lunch.'],
    ['Yes, after lunch.', ''],
  ],
];

const completionTokens = (conversations: Exchange[][]) => sum(conversations.flat().map(([, answer]) => tokens(answer)));
const promptTokens = (conversations: Exchange[][], window?: number) => sum(conversations.flatMap((exchanges) => expectedPrompts(exchanges, window)));

let directory: string | undefined;

afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

async function replayTiny(variables: Record<string, string> = {}) {
  const recording = readPaths([join(FIXTURES, 'slack-tiny')]);
  const policy = testPolicy(variables);
  const result = await runReplay(recording, policy, silentLogger);
  return { result, report: buildReport(recording, result, policy) };
}

describe('replay of slack-tiny', () => {
  it('counts conversations, turns and skips', async () => {
    const { report } = await replayTiny();
    expect(report.conversations).toBe(4);
    expect(report.turns).toBe(9);
    expect(report.unanswered_turns).toBe(4);
    expect(report.skipped).toEqual({ total: 3, by_reason: { bot_message: 1, channel_join: 1, file_share_without_text: 1 } });
    expect(report.baseline.turns).toBe(9);
    expect(report.optimized.turns).toBe(9);
  });

  it('bills the baseline by hand count', async () => {
    const { report, result } = await replayTiny();
    const prompt = promptTokens(SLACK_TINY);
    const completion = completionTokens(SLACK_TINY);
    expect(report.baseline.prompt_tokens).toBe(prompt);
    expect(report.baseline.cached_tokens).toBe(0);
    expect(report.baseline.completion_tokens).toBe(completion);
    const costPico = prompt * STRONG_PRICE.input + completion * STRONG_PRICE.output;
    expect(result.policies.baseline.costPico).toBe(costPico);
    expect(report.baseline.cost_usd).toBeCloseTo(costPico / 1e12, 15);
    expect(report.baseline.models).toEqual({ 'test-strong': 9 });
  });

  it('bills the window alone by hand count', async () => {
    const { report } = await replayTiny({ CHAT_CONTEXT_WINDOW: '2' });
    expect(report.policies.window.prompt_tokens).toBe(promptTokens(SLACK_TINY, 2));
    expect(report.policies.window.completion_tokens).toBe(completionTokens(SLACK_TINY));
    expect(report.policies.window.prompt_tokens).toBeLessThan(report.baseline.prompt_tokens);
  });

  it('bills routing alone on the cheap model', async () => {
    const { report, result } = await replayTiny();
    // No question of the fixture matches a routing rule, so every turn takes the default route.
    expect(report.policies.routing.models).toEqual({ 'test-cheap': 9 });
    const prompt = promptTokens(SLACK_TINY);
    const completion = completionTokens(SLACK_TINY);
    expect(result.policies.routing.costPico).toBe(prompt * CHEAP_PRICE.input + completion * CHEAP_PRICE.output);
    const expectedSavings = Math.round((1 - result.policies.routing.costPico / result.policies.baseline.costPico) * 10_000) / 100;
    expect(report.strategies.routing).toBe(expectedSavings);
  });

  it('cuts answers at the output limit', async () => {
    const limit = 3;
    const { report } = await replayTiny({
      CHAT_MAX_TOKENS_SIMPLE: String(limit),
      CHAT_MAX_TOKENS_DEFAULT: String(limit),
      CHAT_MAX_TOKENS_COMPLEX: String(limit),
    });
    const cut = SLACK_TINY.map((exchanges) => exchanges.map(([question, answer]): Exchange => [question, firstTokens(answer, limit)]));
    const longAnswers = SLACK_TINY.flat().filter(([, answer]) => tokens(answer) > limit).length;
    expect(longAnswers).toBeGreaterThan(0);
    expect(report.policies.output_limits.cut_answers).toBe(longAnswers);
    expect(report.policies.output_limits.completion_tokens).toBe(sum(SLACK_TINY.flat().map(([, answer]) => Math.min(tokens(answer), limit))));
    // Later requests carry the cut answers, as the model sent them.
    expect(report.policies.output_limits.prompt_tokens).toBe(promptTokens(cut));
  });

  it('keeps the cost series equal to the ledger', async () => {
    const { result } = await replayTiny();
    for (const name of POLICY_NAMES) {
      const figures = result.policies[name];
      expect(figures.cumulativeCostPico).toHaveLength(9);
      expect(figures.cumulativeCostPico.at(-1)).toBe(figures.costPico);
    }
  });
});

interface DiscordMessage {
  id: string;
  author: string;
  at: string;
  content: string;
}

function writeDiscordExport(name: string, channelId: string, messages: DiscordMessage[]): string {
  directory ??= mkdtempSync(join(tmpdir(), 'replay-figures-'));
  const path = join(directory, name);
  const exported = {
    guild: { id: 'G1', name: 'Test guild' },
    channel: { id: channelId, type: 'GuildTextChat', name: channelId },
    messages: messages.map((message) => ({
      id: message.id,
      type: 'Default',
      timestamp: message.at,
      content: message.content,
      author: { id: message.author, name: message.author, isBot: false },
      attachments: [],
      embeds: [],
    })),
  };
  writeFileSync(path, JSON.stringify(exported));
  return path;
}

describe('replay prompt cache estimate', () => {
  const first = 'alpha beta gamma delta '.repeat(128).trim();
  const second = 'epsilon zeta eta theta '.repeat(120).trim();

  /** Replays three messages `gapMinutes` apart, whose third request shares a long prefix with the second. */
  async function replayLong(gapMinutes: number, promptCacheMinutes?: number) {
    const at = (step: number) => new Date(Date.parse('2024-01-01T10:00:00Z') + step * gapMinutes * 60_000).toISOString();
    const path = writeDiscordExport('long.json', 'C1', [
      { id: '1', author: 'A', at: at(0), content: first },
      { id: '2', author: 'B', at: at(1), content: second },
      { id: '3', author: 'A', at: at(2), content: 'ok' },
    ]);
    const result = await runReplay(readPaths([path]), testPolicy(), silentLogger, { promptCacheMinutes });
    return result;
  }

  // Request 2 shares only [system, first] with request 1; request 3 shares all of request 2's messages.
  const system = messageTokens('system', SYSTEM_PROMPT);
  const sharedBySecond = system + messageTokens('user', first);
  const sharedByThird = sharedBySecond + messageTokens('assistant', second) + messageTokens('user', second);

  it('caches the shared prefix by hand count', async () => {
    const result = await replayLong(1);
    const baseline = result.policies.baseline;
    expect(result.promptCacheMinutes).toBe(10);
    expect(sharedBySecond).toBeLessThan(1024);
    expect(sharedByThird).toBeGreaterThanOrEqual(1024);
    expect(baseline.cachedTokens).toBe(Math.floor(sharedByThird / 128) * 128);

    const prompt = sum(expectedPrompts([[first, second], [second, 'ok'], ['ok', '']]));
    expect(baseline.promptTokens).toBe(prompt);
    const cached = baseline.cachedTokens;
    const completion = tokens(second) + tokens('ok');
    expect(baseline.costPico).toBe((prompt - cached) * STRONG_PRICE.input + cached * STRONG_PRICE.cachedInput + completion * STRONG_PRICE.output);
  });

  it('expires by the recorded clock', async () => {
    // 11 minutes between requests is past the default 10-minute limit.
    const result = await replayLong(11);
    expect(result.policies.baseline.cachedTokens).toBe(0);
    const prompt = sum(expectedPrompts([[first, second], [second, 'ok'], ['ok', '']]));
    const completion = tokens(second) + tokens('ok');
    expect(result.policies.baseline.costPico).toBe(prompt * STRONG_PRICE.input + completion * STRONG_PRICE.output);
  });

  it('takes the limit from the options', async () => {
    const result = await replayLong(11, 30);
    expect(result.promptCacheMinutes).toBe(30);
    expect(result.policies.baseline.cachedTokens).toBe(Math.floor(sharedByThird / 128) * 128);
  });

  it('caches nothing at limit 0', async () => {
    const result = await replayLong(1, 0);
    expect(result.promptCacheMinutes).toBe(0);
    for (const name of POLICY_NAMES) expect(result.policies[name].cachedTokens).toBe(0);
  });
});

describe('replay answer cache', () => {
  const question = 'How do I reset my password?';
  const exports = (secondDay: string) => [
    writeDiscordExport('a.json', 'C1', [
      { id: '1', author: 'A', at: '2024-01-01T10:00:00Z', content: question },
      { id: '2', author: 'B', at: '2024-01-01T10:01:00Z', content: 'Open settings and click reset.' },
    ]),
    writeDiscordExport('b.json', 'C2', [
      { id: '3', author: 'C', at: `${secondDay}T10:00:00Z`, content: question },
      { id: '4', author: 'B', at: `${secondDay}T10:01:00Z`, content: 'Settings, then reset.' },
    ]),
  ];

  it('hits within the TTL', async () => {
    const recording = readPaths(exports('2024-01-01'));
    const result = await runReplay(recording, testPolicy(), silentLogger);
    expect(result.policies.optimized.cacheHits).toBe(1);
    expect(result.policies.cache.cacheHits).toBe(1);
    expect(result.policies.baseline.cacheHits).toBe(0);
  });

  it('expires by the recorded clock', async () => {
    const recording = readPaths(exports('2024-01-05'));
    const result = await runReplay(recording, testPolicy({ CHAT_CACHE_TTL_SECONDS: '86400' }), silentLogger);
    expect(result.policies.optimized.cacheHits).toBe(0);
  });
});
