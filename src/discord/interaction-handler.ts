import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Logger } from 'pino';

import type { Frugal } from '../app.js';
import { COMMAND_NAMES } from '../commands/commands.js';
import { MAX_OPTION_LENGTH, MODEL_OPTION } from './command-definitions.js';
import { describeDiscordError } from './discord-errors.js';
import { splitMessage } from './message-format.js';
import { DM_WORKSPACE } from './message-handler.js';

/** Discord shows at most 25 autocomplete choices. */
const MAX_CHOICES = 25;

/** Returns the reply to a command that failed after it was deferred. */
export function commandFailedReply(command: string): string {
  return `Could not run /${command} because of an internal error. Please try again in a minute; if it keeps failing, the bot's logs have the details.`;
}

/**
 * Replies to the slash commands ephemerally and to `/model`'s autocomplete requests. A command
 * is deferred before any other work, because Discord drops an interaction that is not
 * acknowledged within 3 seconds. After that, every reply, error replies included, edits the
 * deferred reply or follows up.
 */
export class InteractionHandler {
  constructor(
    private readonly frugal: Frugal,
    private readonly logger: Logger,
  ) {}

  /** Handles one INTERACTION_CREATE. Every failure is logged here, so the caller need not catch. */
  async handle(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isAutocomplete()) await this.autocomplete(interaction);
      else if (interaction.isChatInputCommand()) await this.command(interaction);
    } catch (error) {
      this.logger.error({ ...interactionIds(interaction), error: describeDiscordError(error) }, 'discord interaction handling failed');
    }
  }

  private async command(interaction: ChatInputCommandInteraction): Promise<void> {
    const ids = interactionIds(interaction);
    try {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    } catch (error) {
      this.logger.error({ ...ids, error: describeDiscordError(error) }, 'discord command could not be acknowledged');
      return;
    }

    let text: string;
    try {
      text = await this.run(interaction);
    } catch (error) {
      this.logger.error({ ...ids, err: error }, 'discord command failed');
      text = commandFailedReply(interaction.commandName);
    }
    await this.sendDeferred(interaction, text, ids);
  }

  private async run(interaction: ChatInputCommandInteraction): Promise<string> {
    const name = interaction.commandName;
    if (!(COMMAND_NAMES as readonly string[]).includes(name)) {
      this.logger.warn(interactionIds(interaction), 'discord command is unknown; run npm run discord:register to update the commands');
    }
    // The permission is read from this interaction, not from the registration, because server
    // owners can let any member run /model in the server's integration settings.
    const isPlatformAdmin = interaction.inGuild() && (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false);
    const args = name === 'model' ? (interaction.options.getString(MODEL_OPTION) ?? '') : '';
    // The core writes Markdown, which Discord renders as it is.
    return this.frugal.commands.run({
      platform: 'discord',
      workspaceId: interaction.guildId ?? DM_WORKSPACE,
      userId: interaction.user.id,
      name,
      args,
      isPlatformAdmin,
    });
  }

  /** Edits the deferred reply with the text, with follow-ups for what does not fit in one message. */
  private async sendDeferred(interaction: ChatInputCommandInteraction, text: string, ids: Record<string, string>): Promise<void> {
    const [first, ...rest] = splitMessage(text);
    try {
      await interaction.editReply({ content: first!, allowedMentions: { parse: [] } });
    } catch (error) {
      this.logger.error({ ...ids, error: describeDiscordError(error) }, 'discord command reply failed');
      await this.followUpFailure(interaction, ids);
      return;
    }
    try {
      for (const chunk of rest) {
        await interaction.followUp({ content: chunk, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      }
    } catch (error) {
      this.logger.error({ ...ids, error: describeDiscordError(error) }, 'discord command follow-up failed');
    }
  }

  /**
   * Tells the user the command failed when the deferred reply could not be edited. The
   * interaction is already acknowledged, so this is a follow-up, never a second reply.
   */
  private async followUpFailure(interaction: ChatInputCommandInteraction, ids: Record<string, string>): Promise<void> {
    try {
      await interaction.followUp({
        content: commandFailedReply(interaction.commandName),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    } catch (error) {
      this.logger.warn({ ...ids, error: describeDiscordError(error) }, 'discord command failure follow-up failed');
    }
  }

  private async autocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const ids = interactionIds(interaction);
    try {
      const focused = interaction.options.getFocused(true);
      const choices = focused.name === MODEL_OPTION ? this.modelChoices(focused.value) : [];
      await interaction.respond(choices.map((model) => ({ name: model, value: model })));
    } catch (error) {
      this.logger.warn({ ...ids, error: describeDiscordError(error) }, 'discord autocomplete failed');
    }
  }

  /** Returns `auto` and the priced models that contain the typed text: an exact match, then prefix matches, then the rest. */
  private modelChoices(typed: string): string[] {
    const query = typed.trim().toLowerCase();
    const candidates = ['auto', ...this.frugal.session.prices.knownModels()];
    const exact = candidates.filter((model) => model.toLowerCase() === query);
    const prefix = candidates.filter((model) => model.toLowerCase() !== query && model.toLowerCase().startsWith(query));
    const inside = candidates.filter((model) => !model.toLowerCase().startsWith(query) && model.toLowerCase().includes(query));
    return [...exact, ...prefix, ...inside].filter((model) => model.length <= MAX_OPTION_LENGTH).slice(0, MAX_CHOICES);
  }
}

function interactionIds(interaction: Interaction): Record<string, string> {
  return {
    interaction: interaction.id,
    command: 'commandName' in interaction ? interaction.commandName : '',
    guild: interaction.guildId ?? DM_WORKSPACE,
    channel: interaction.channelId ?? '',
    user: interaction.user.id,
  };
}
