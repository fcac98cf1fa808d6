import type { webApi } from '@slack/bolt';

import type { Frugal } from '../app.js';
import { formatPercent, formatUsd } from '../commands/money.js';
import { type PeriodTotals, type Totals, workspaceKey } from '../store/ledger.js';
import { callSlack, describeSlackError } from './slack-client.js';
import { isWorkspaceAdmin } from './workspace-admins.js';

function turns(count: number): string {
  return `${count} ${count === 1 ? 'message' : 'messages'}`;
}

function totalsLines(totals: PeriodTotals): string {
  const saved = (all: Totals) =>
    `Cache: ${all.cacheHits} ${all.cacheHits === 1 ? 'hit' : 'hits'} (${formatPercent(all.cacheHits, all.turns)}), ` +
    `${formatUsd(all.avoidedPico)} saved`;
  return [
    `Today (UTC): ${formatUsd(totals.today.costPico)} over ${turns(totals.today.turns)}`,
    `This month: ${formatUsd(totals.month.costPico)} over ${turns(totals.month.turns)}`,
    `All time: ${formatUsd(totals.total.costPico)} over ${turns(totals.total.turns)}`,
    saved(totals.total),
  ].join('\n');
}

function section(mrkdwn: string): webApi.KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: mrkdwn } };
}

/**
 * Builds the App Home view: the viewer's spend and cache savings, and for admins the
 * workspace totals and the model setting.
 */
export async function buildHomeView(frugal: Frugal, teamId: string, userId: string, isAdmin: boolean, now: Date): Promise<webApi.View> {
  const workspace = workspaceKey('slack', teamId);
  const ledger = frugal.store.ledger;
  const blocks: webApi.KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Frugal' } },
    section(`*Your usage*\n${totalsLines(await ledger.userTotals(workspace, userId, now))}`),
  ];
  if (isAdmin) {
    const settings = await frugal.session.settings.get(workspace);
    const router = frugal.session.router;
    const model = settings.model
      ? `Pinned to *${settings.model}* for every question. \`/model auto\` returns to routing.`
      : `Automatic routing: simple questions go to ${router.modelFor('simple')}, others to ` +
        `${router.modelFor('default')}, complex ones to ${router.modelFor('complex')}.`;
    blocks.push(
      { type: 'divider' },
      section(`*Workspace*\n${totalsLines(await ledger.workspaceTotals(workspace, now))}`),
      section(`*Model*\n${model}`),
    );
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Mention me in a channel or send me a direct message. `/stats`, `/optimize` and `/model` show more.' }],
  });
  return { type: 'home', blocks };
}

/** Publishes the App Home view for a user who opened the Home tab. Never throws. */
export async function publishHome(frugal: Frugal, client: webApi.WebClient, teamId: string, userId: string): Promise<void> {
  const ids = { platform: 'slack', team: teamId, user: userId };
  try {
    const isPlatformAdmin = await isWorkspaceAdmin(client, frugal.logger, teamId, userId);
    const isAdmin = frugal.commands.isAdmin('slack', userId, isPlatformAdmin);
    const view = await buildHomeView(frugal, teamId, userId, isAdmin, new Date());
    await callSlack(frugal.logger, 'views.publish', () => client.views.publish({ user_id: userId, view }));
    frugal.logger.debug({ ...ids, admin: isAdmin }, 'slack home published');
  } catch (error) {
    frugal.logger.error({ ...ids, method: 'views.publish', ...describeSlackError(error) }, 'slack call failed');
  }
}
