import { costPico, type ModelPrice } from '../core/pricing.js';
import type { CommandContext } from './commands.js';
import { formatCount, formatPercent, formatUsd } from './money.js';

/** The period /optimize looks back over. */
export const OPTIMIZE_PERIOD_DAYS = 30;

interface Suggestion {
  savedPico: number;
  text: string;
}

/**
 * `/optimize`: suggestions computed from the workspace's ledger over the last 30 days, each
 * with the money it would have saved, largest saving first.
 */
export async function optimizeCommand({ session, workspace, now }: CommandContext): Promise<string> {
  const since = new Date(now.getTime() - OPTIMIZE_PERIOD_DAYS * 86_400_000);
  const options = session.options;
  const longContextThreshold = Math.floor(options.maxContextTokens / 2);
  const facts = await session.store.ledger.optimizeFacts(workspace, since, longContextThreshold);
  const prices = session.prices;
  const suggestions: Suggestion[] = [];

  const classTurns = new Map<string, number>();
  for (const group of facts.byClassAndModel) classTurns.set(group.queryClass, (classTurns.get(group.queryClass) ?? 0) + group.turns);

  // Turns that ran on a dearer model than their class is routed to, by pinning or by configuration.
  for (const group of facts.byClassAndModel) {
    const target = session.router.modelFor(group.queryClass);
    if (target === group.model) continue;
    const targetPrice = prices.lookup(target);
    if (!targetPrice) continue;
    const repriced = costPico(targetPrice, group);
    const saved = group.costPico - repriced;
    if (saved <= 0) continue;
    const pinned = group.routeReason.startsWith('workspace-pinned');
    const how = pinned
      ? 'This workspace is pinned with /model; `/model auto` routes these questions again.'
      : `Check CHAT_${group.queryClass === 'simple' ? 'CHEAP' : group.queryClass === 'complex' ? 'STRONG' : 'DEFAULT'}_MODEL.`;
    suggestions.push({
      savedPico: saved,
      text:
        `${formatCount(group.turns, `${group.queryClass} question`)} (${formatPercent(group.turns, classTurns.get(group.queryClass) ?? 0)} of them) ` +
        `ran on ${group.model} (${formatUsd(group.costPico)}); on ${target} they would have cost ${formatUsd(repriced)}. ${how}`,
    });
  }

  // Prompts larger than half the token budget: the tokens above that line, at each model's input price.
  for (const group of facts.longContexts) {
    const price = prices.lookup(group.model);
    if (!price) continue;
    const saved = inputCost(price, group.tokensAboveThreshold);
    if (saved <= 0) continue;
    suggestions.push({
      savedPico: saved,
      text:
        `${formatCount(group.turns, 'turn')} on ${group.model} sent more than ${longContextThreshold} prompt tokens. ` +
        `Halving CHAT_MAX_CONTEXT_TOKENS (now ${options.maxContextTokens}) or lowering CHAT_CONTEXT_WINDOW ` +
        `(now ${options.contextWindow}) would have saved up to ${formatUsd(saved)}.`,
    });
  }

  const repeated = facts.repeatedQuestions;
  if (repeated.turns > 0) {
    const how = options.enableCache
      ? `Raise CHAT_CACHE_TTL_SECONDS (now ${options.cacheTtlSeconds}) or CHAT_CACHE_MAX_SIZE (now ${options.cacheMaxSize}); answers are stored only from the first message of a conversation.`
      : 'Set CHAT_ENABLE_CACHE=true to answer them from the cache.';
    suggestions.push({
      savedPico: repeated.costPico,
      text: `${formatCount(repeated.turns, 'paid answer')} repeated ${formatCount(repeated.distinctQuestions, 'question')} asked before; answering them from the cache would have saved ${formatUsd(repeated.costPico)}. ${how}`,
    });
  }

  const lines = [`**Suggestions from the last ${OPTIMIZE_PERIOD_DAYS} days**`];
  suggestions.sort((a, b) => b.savedPico - a.savedPico);
  suggestions.forEach((suggestion, i) => lines.push(`${i + 1}. ${suggestion.text}`));

  for (const hit of facts.outputLimitHits) {
    lines.push(
      `- ${formatCount(hit.turns, 'answer')} from ${hit.model} stopped at the output limit (${formatUsd(hit.costPico)} spent on them). ` +
        'Cut answers often bring a follow-up question; raise the CHAT_MAX_TOKENS_* limit of their class if they were too short.',
    );
  }
  if (lines.length === 1 && facts.byClassAndModel.length === 0) {
    lines.push('No answered turns yet in this period, so there is nothing to suggest. Ask again once questions have been answered.');
  } else if (lines.length === 1) {
    lines.push('Nothing to suggest: every turn used its routed model, prompts stayed small and no paid answer repeated another.');
  }
  return lines.join('\n');
}

function inputCost(price: ModelPrice, tokens: number): number {
  return costPico(price, { promptTokens: tokens, cachedTokens: 0, completionTokens: 0 });
}
