import { periodKeys, type Totals } from '../store/ledger.js';
import type { CommandContext } from './commands.js';
import { formatCount, formatPercent, formatUsd } from './money.js';

const TOP_LIMIT = 5;

function periodLine(label: string, totals: Totals): string {
  return `${label}: ${formatUsd(totals.costPico)} over ${formatCount(totals.turns, 'message')}`;
}

function averageCost(totals: Totals): string {
  return totals.turns === 0 ? formatUsd(0) : formatUsd(Math.round(totals.costPico / totals.turns));
}

function cacheLine(totals: Totals): string {
  return (
    `Cache: ${formatCount(totals.cacheHits, 'hit')} ` +
    `(${formatPercent(totals.cacheHits, totals.turns)} of messages), ${formatUsd(totals.avoidedPico)} saved`
  );
}

/** `/stats`: the caller's spend; admins also get workspace totals, top users, models and conversations. */
export async function statsCommand({ request, session, workspace, isAdmin, now }: CommandContext): Promise<string> {
  const ledger = session.store.ledger;
  const mine = await ledger.userTotals(workspace, request.userId, now);
  const lines = [
    '**Your usage**',
    periodLine('Today (UTC)', mine.today),
    periodLine('This month', mine.month),
    periodLine('All time', mine.total),
    `Average cost per message: ${averageCost(mine.total)}`,
    cacheLine(mine.total),
  ];
  if (!isAdmin) return lines.join('\n');

  const all = await ledger.workspaceTotals(workspace, now);
  const { month } = periodKeys(now);
  lines.push(
    '',
    '**Workspace**',
    periodLine('Today (UTC)', all.today),
    periodLine('This month', all.month),
    periodLine('All time', all.total),
    `Average cost per message: ${averageCost(all.total)}`,
    cacheLine(all.total),
  );

  const users = await ledger.topUsers(workspace, 'all', TOP_LIMIT);
  if (users.length > 0) {
    lines.push('', '**Top users (all time)**');
    users.forEach((user, i) => lines.push(`${i + 1}. ${user.id}: ${formatUsd(user.costPico)} over ${formatCount(user.turns, 'message')}`));
  }
  const models = await ledger.modelBreakdown(workspace, month);
  if (models.length > 0) {
    lines.push('', '**Models this month**');
    for (const model of models) {
      lines.push(
        `- ${model.id}: ${formatCount(model.turns, 'message')}, ${formatUsd(model.costPico)}, ` +
          `${formatCount(model.promptTokens, 'prompt token')} (${model.cachedTokens} cached), ${formatCount(model.completionTokens, 'completion token')}`,
      );
    }
  }
  const conversations = await ledger.topConversations(workspace, TOP_LIMIT);
  if (conversations.length > 0) {
    lines.push('', '**Most expensive conversations**');
    conversations.forEach((conversation, i) =>
      lines.push(`${i + 1}. ${conversation.id}: ${formatUsd(conversation.costPico)} over ${formatCount(conversation.turns, 'message')}`),
    );
  }
  return lines.join('\n');
}
