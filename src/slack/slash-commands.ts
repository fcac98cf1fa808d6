import type { RespondFn, SlashCommand, webApi } from '@slack/bolt';

import type { Frugal } from '../app.js';
import { markdownToMrkdwn, splitMrkdwn } from './mrkdwn.js';
import { describeSlackError } from './slack-client.js';
import { isWorkspaceAdmin } from './workspace-admins.js';

/** The slash commands the manifest declares; the core runs them. */
export const SLASH_COMMAND_PATTERN = /^\/(stats|optimize|model)$/;

export const COMMAND_FAILED_REPLY = 'The command failed, and the error is in the log. Please try again.';

/**
 * Runs `/stats`, `/optimize` or `/model` after Bolt has acknowledged it, and posts the core's
 * reply ephemerally through the command's response URL. Never throws.
 */
export async function runSlashCommand(
  frugal: Frugal,
  client: webApi.WebClient,
  command: SlashCommand,
  respond: RespondFn,
): Promise<void> {
  const ids = { platform: 'slack', team: command.team_id, channel: command.channel_id, user: command.user_id, command: command.command };
  let reply: string;
  try {
    const isPlatformAdmin = await isWorkspaceAdmin(client, frugal.logger, command.team_id, command.user_id);
    reply = await frugal.commands.run({
      platform: 'slack',
      workspaceId: command.team_id,
      userId: command.user_id,
      name: command.command,
      args: command.text ?? '',
      isPlatformAdmin,
    });
    frugal.logger.info({ ...ids, admin: isPlatformAdmin }, 'slack command finished');
  } catch (error) {
    frugal.logger.error({ err: error, ...ids }, 'slack command failed');
    reply = COMMAND_FAILED_REPLY;
  }

  // A response URL accepts up to five messages, more than the longest command reply needs.
  for (const part of splitMrkdwn(markdownToMrkdwn(reply))) {
    try {
      await respond({ response_type: 'ephemeral', text: part });
    } catch (error) {
      frugal.logger.error({ ...ids, ...describeSlackError(error) }, 'slack command response failed');
      return;
    }
  }
}
