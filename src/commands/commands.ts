import type { ChatSession } from '../core/chat-session.js';
import type { Platform } from '../core/types.js';
import { workspaceKey } from '../store/ledger.js';
import { modelCommand } from './model-command.js';
import { optimizeCommand } from './optimize-command.js';
import { statsCommand } from './stats-command.js';

export const COMMAND_NAMES = ['stats', 'optimize', 'model'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A slash command as any platform delivers it. */
export interface CommandRequest {
  platform: Platform;
  workspaceId: string;
  userId: string;
  name: string;
  /** Everything after the command name, such as `gpt-4o` in `/model gpt-4o`. */
  args: string;
  /** True when the platform reports the user as a workspace admin or owner. */
  isPlatformAdmin: boolean;
}

/** Input of a command handler: the request, the core, and whether the caller may change settings. */
export interface CommandContext {
  request: CommandRequest;
  session: ChatSession;
  workspace: string;
  isAdmin: boolean;
  now: Date;
}

/** Runs the platform-neutral slash commands and returns Markdown text for the adapter to render. */
export class CommandHandler {
  private readonly adminUserIds: Set<string>;

  constructor(
    private readonly session: ChatSession,
    adminUserIds: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.adminUserIds = new Set(adminUserIds);
  }

  /** Returns whether a user may change workspace settings: a platform admin, or listed in ADMIN_USER_IDS. */
  isAdmin(platform: Platform, userId: string, isPlatformAdmin: boolean): boolean {
    return isPlatformAdmin || this.adminUserIds.has(`${platform}:${userId}`);
  }

  async run(request: CommandRequest): Promise<string> {
    const name = request.name.replace(/^\//, '').toLowerCase();
    const context: CommandContext = {
      request: { ...request, args: request.args.trim() },
      session: this.session,
      workspace: workspaceKey(request.platform, request.workspaceId),
      isAdmin: this.isAdmin(request.platform, request.userId, request.isPlatformAdmin),
      now: this.now(),
    };
    switch (name) {
      case 'stats':
        return statsCommand(context);
      case 'optimize':
        return optimizeCommand(context);
      case 'model':
        return modelCommand(context);
      default:
        return `Unknown command /${name}. The commands are ${COMMAND_NAMES.map((command) => `/${command}`).join(', ')}.`;
    }
  }
}
