import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';

import { callSlack, describeSlackError } from './slack-client.js';

/**
 * Returns whether Slack reports a user as a workspace admin or owner (`users.info`:
 * `is_admin`, `is_owner`, `is_primary_owner`). A failed lookup is logged and counts as not
 * an admin, so a Slack outage can never grant the right to change settings.
 */
export async function isWorkspaceAdmin(client: webApi.WebClient, logger: Logger, teamId: string, userId: string): Promise<boolean> {
  try {
    const result = await callSlack(logger, 'users.info', () => client.users.info({ user: userId }));
    const user = result.user;
    return Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner);
  } catch (error) {
    logger.warn({ team: teamId, user: userId, method: 'users.info', ...describeSlackError(error) }, 'slack admin lookup failed');
    return false;
  }
}
