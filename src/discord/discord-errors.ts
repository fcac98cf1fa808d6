import { DiscordAPIError, DiscordjsError, HTTPError, RateLimitError, RESTJSONErrorCodes } from 'discord.js';

/** Interaction and webhook URLs carry a token that can post as the bot for 15 minutes. */
const TOKEN_IN_PATH = /\/(webhooks|interactions)\/(\d+)\/[^/?]+/g;

/** Returns a request URL's path with interaction and webhook tokens replaced by `:token`. */
export function redactedPath(url: string): string {
  let path = url;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    // Not an absolute URL, or not decodable: keep it as it is.
  }
  return path.replace(TOKEN_IN_PATH, '/$1/$2/:token');
}

/**
 * Returns the fields of a Discord error worth logging. Errors from discord.js's REST client
 * keep the request body, which contains the message text, and a URL that can contain an
 * interaction token, so they are never handed to the logger whole. Callers log the result
 * under `error`, not `err`, because pino's error serializer would replace its `type`.
 */
export function describeDiscordError(error: unknown): Record<string, unknown> {
  if (error instanceof DiscordAPIError) {
    return {
      type: 'DiscordAPIError',
      code: error.code,
      status: error.status,
      method: error.method,
      path: redactedPath(error.url),
      message: error.message,
    };
  }
  if (error instanceof HTTPError) {
    return { type: 'HTTPError', status: error.status, method: error.method, path: redactedPath(error.url), message: error.message };
  }
  if (error instanceof RateLimitError) {
    return { type: 'RateLimitError', route: error.route, method: error.method, retryAfterMs: error.retryAfter, global: error.global };
  }
  if (error instanceof DiscordjsError) return { type: 'DiscordjsError', code: error.code, message: error.message };
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack };
  return { type: typeof error, message: String(error) };
}

/** Returns whether an error says the bot cannot see or post in a channel. */
export function isAccessError(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.MissingAccess || error.code === RESTJSONErrorCodes.MissingPermissions)
  );
}
