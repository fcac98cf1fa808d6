import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';

/** The name of `/model`'s one option: a model from the price table, or `auto`. */
export const MODEL_OPTION = 'name';

/** The maximum length, in characters, of a string option value and of an autocomplete choice. */
export const MAX_OPTION_LENGTH = 100;

/**
 * Returns the slash commands as Discord's registration API expects them. `/model` can change the
 * server's model, so by default only members with Manage Server see it; the handler checks the
 * permission again because server owners can change who sees a command.
 */
export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const stats = new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Show what your questions cost; admins also see the server totals')
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
  const optimize = new SlashCommandBuilder()
    .setName('optimize')
    .setDescription('Suggest how to lower the bill, from the last 30 days of usage')
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
  const model = new SlashCommandBuilder()
    .setName('model')
    .setDescription("Show the server's model and prices, or set the model (admins)")
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addStringOption((option) =>
      option
        .setName(MODEL_OPTION)
        .setDescription('A model from the price table, or auto to return to routing')
        .setRequired(false)
        .setMaxLength(MAX_OPTION_LENGTH)
        .setAutocomplete(true),
    );
  return [stats.toJSON(), optimize.toJSON(), model.toJSON()];
}
