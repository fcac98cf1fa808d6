import { DiscordAPIError, REST, RESTJSONErrorCodes, Routes } from 'discord.js';

import { VARIABLES } from '../config/config.js';
import { commandDefinitions } from './command-definitions.js';

/** The settings command registration reads from the environment. */
export interface RegistrationSettings {
  token: string;
  applicationId: string;
  guildId?: string;
  apiUrl?: string;
}

/** The scope of a registration and the names of the registered commands. */
export interface RegistrationResult {
  scope: 'guild' | 'global';
  guildId?: string;
  commands: string[];
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

/**
 * Reads DISCORD_TOKEN, DISCORD_APPLICATION_ID, DISCORD_GUILD_ID and DISCORD_API_URL. Throws a
 * RegistrationError naming every missing or invalid variable.
 */
export function readRegistrationSettings(env: Record<string, string | undefined>): RegistrationSettings {
  const missing = (['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'] as const).filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new RegistrationError(
      `Missing ${missing.join(' and ')}: registering slash commands needs the bot token and the application id, ` +
        'both on the application\'s page in the Discord developer portal (Bot, Reset Token; General Information, Application ID).',
    );
  }
  const settings: RegistrationSettings = { token: env.DISCORD_TOKEN!.trim(), applicationId: env.DISCORD_APPLICATION_ID!.trim() };
  if (!/^\d{17,20}$/.test(settings.applicationId)) {
    throw new RegistrationError(
      `Invalid DISCORD_APPLICATION_ID=${JSON.stringify(settings.applicationId)}: expected the numeric application id from General Information.`,
    );
  }
  const guildId = env.DISCORD_GUILD_ID?.trim();
  if (guildId) {
    if (!/^\d{17,20}$/.test(guildId)) {
      throw new RegistrationError(
        `Invalid DISCORD_GUILD_ID=${JSON.stringify(guildId)}: expected a numeric server id (Developer Mode on, right-click the server, Copy Server ID).`,
      );
    }
    settings.guildId = guildId;
  }
  const apiUrl = env.DISCORD_API_URL?.trim();
  if (apiUrl) {
    const parsed = VARIABLES.DISCORD_API_URL.schema.safeParse(apiUrl);
    if (!parsed.success || typeof parsed.data !== 'string') {
      throw new RegistrationError(`Invalid DISCORD_API_URL=${JSON.stringify(apiUrl)}: expected ${VARIABLES.DISCORD_API_URL.allowed}.`);
    }
    settings.apiUrl = parsed.data;
  }
  return settings;
}

/** Returns an error whose message names what Discord rejected and how to fix it. */
function registrationFailure(error: unknown, settings: RegistrationSettings): RegistrationError {
  if (error instanceof DiscordAPIError) {
    if (error.status === 401) {
      return new RegistrationError('Discord rejected DISCORD_TOKEN (401 Unauthorized): copy the bot token again from Bot, Reset Token.');
    }
    if (error.code === RESTJSONErrorCodes.MissingAccess && settings.guildId) {
      return new RegistrationError(
        `Discord denied access to guild ${settings.guildId} (50001 Missing Access): invite the bot to that server with the ` +
          'applications.commands scope, or check DISCORD_GUILD_ID.',
      );
    }
    if (error.code === RESTJSONErrorCodes.UnknownApplication || error.status === 403) {
      return new RegistrationError(
        `Discord rejected the registration (${error.status} ${error.message}): check that DISCORD_APPLICATION_ID is the id of ` +
          'the application the token belongs to.',
      );
    }
    return new RegistrationError(`Discord rejected the registration (${error.status}, code ${error.code}): ${error.message}`);
  }
  return new RegistrationError(`Could not reach Discord to register the commands: ${(error as Error)?.message ?? String(error)}`);
}

/**
 * Registers /stats, /optimize and /model with Discord, replacing the application's commands:
 * in one guild when `guildId` is set, otherwise globally for every server the bot is in.
 */
export async function registerCommands(settings: RegistrationSettings): Promise<RegistrationResult> {
  const rest = new REST(settings.apiUrl ? { api: settings.apiUrl } : {}).setToken(settings.token);
  let commands = commandDefinitions();
  if (settings.guildId) {
    // Interaction contexts and integration types apply to global commands only.
    commands = commands.map(({ contexts: _contexts, integration_types: _types, ...command }) => command);
  }
  const route = settings.guildId
    ? Routes.applicationGuildCommands(settings.applicationId, settings.guildId)
    : Routes.applicationCommands(settings.applicationId);
  let registered: { name: string }[];
  try {
    registered = (await rest.put(route, { body: commands })) as { name: string }[];
  } catch (error) {
    throw registrationFailure(error, settings);
  }
  return {
    scope: settings.guildId ? 'guild' : 'global',
    guildId: settings.guildId,
    commands: registered.map((command) => command.name),
  };
}

/** Returns the line `npm run discord:register` prints after a successful registration. */
export function describeRegistration(result: RegistrationResult): string {
  const names = result.commands.map((name) => `/${name}`).join(', ');
  if (result.scope === 'guild') {
    return `Registered ${names} in guild ${result.guildId} (DISCORD_GUILD_ID is set); they work there right away.`;
  }
  return (
    `Registered ${names} globally, for every server the bot is in (DISCORD_GUILD_ID is not set). ` +
    'Set DISCORD_GUILD_ID to register them in one server instead, for testing.'
  );
}

/** Runs the registration command line and returns its exit status: 0 when done, 1 when Discord failed, 2 for bad settings. */
export async function runRegistration(
  env: Record<string, string | undefined>,
  output: { write(text: string): unknown },
  errors: { write(text: string): unknown },
): Promise<number> {
  let settings: RegistrationSettings;
  try {
    settings = readRegistrationSettings(env);
  } catch (error) {
    errors.write(`discord:register: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    output.write(`${describeRegistration(await registerCommands(settings))}\n`);
    return 0;
  } catch (error) {
    errors.write(`discord:register: ${(error as Error).message}\n`);
    return 1;
  }
}
