import { LogLevel, type Logger as BoltLogger, webApi } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Retries of one Web API call on connection errors and HTTP 5xx responses: 2 retries, 1 s
 * then 2 s apart. @slack/web-api 7 defaults to 10 retries over about 30 minutes, which would
 * hold a turn that long. Rate-limited calls are not retried by this policy: see callSlack.
 */
export const SLACK_RETRY_POLICY = { retries: 2, factor: 2, minTimeout: 1000, maxTimeout: 2000, randomize: false };

/** Timeout of one Web API request, in milliseconds; @slack/web-api 7 has none by default. */
export const SLACK_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Maximum Retry-After, in seconds, that callSlack waits before retrying a rate-limited call.
 * A longer one fails the call at once, so rate limits hold one call for at most 20 seconds.
 */
export const MAX_RETRY_AFTER_SECONDS = 10;

/** Times callSlack retries one call after a rate limit. */
const RATE_LIMIT_RETRIES = 2;

/**
 * Builds the Web API client options shared by Bolt's clients and the Socket Mode client.
 * `rejectRateLimitedCalls` makes a 429 throw at once instead of pausing every queued call
 * for the Retry-After time; callSlack then decides whether to wait.
 */
export function slackClientOptions(apiUrl: string | undefined, logger: BoltLogger): webApi.WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: `${apiUrl}/` } : {}),
    logger,
    retryConfig: { ...SLACK_RETRY_POLICY },
    rejectRateLimitedCalls: true,
    timeout: SLACK_REQUEST_TIMEOUT_MS,
    // The original axios error carries the request headers, bot token included.
    attachOriginalToWebAPIRequestError: false,
  };
}

/** Returns the Slack error code of a failed Web API call, such as `not_in_channel`, `ratelimited` or `request_error`. */
export function slackErrorCode(error: unknown): string {
  const coded = error as Partial<webApi.WebAPICallError> & { data?: { error?: string } };
  switch (coded?.code) {
    case webApi.ErrorCode.PlatformError:
      return coded.data?.error ?? 'platform_error';
    case webApi.ErrorCode.RateLimitedError:
      return 'ratelimited';
    case webApi.ErrorCode.HTTPError:
      return `http_${(coded as webApi.WebAPIHTTPError).statusCode}`;
    case webApi.ErrorCode.RequestError:
      return 'request_error';
    default:
      return 'unknown_error';
  }
}

/**
 * Describes a Web API error for the log without the request or response objects, which can
 * contain the token and message text.
 */
export function describeSlackError(error: unknown): { slackError: string; message: string; retryAfter?: number } {
  const retryAfter = (error as Partial<webApi.WebAPIRateLimitedError>)?.retryAfter;
  return {
    slackError: slackErrorCode(error),
    message: error instanceof Error ? error.message : String(error),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

/**
 * Runs one Web API call and retries it after a rate limit, waiting the Retry-After time Slack
 * sent when it is at most MAX_RETRY_AFTER_SECONDS. Other errors are thrown unchanged.
 */
export async function callSlack<T>(logger: Logger, method: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryAfter = (error as Partial<webApi.WebAPIRateLimitedError>)?.retryAfter;
      const rateLimited = (error as { code?: string })?.code === webApi.ErrorCode.RateLimitedError;
      if (!rateLimited || retryAfter === undefined || retryAfter > MAX_RETRY_AFTER_SECONDS || attempt >= RATE_LIMIT_RETRIES) {
        throw error;
      }
      logger.warn({ method, retryAfter, attempt: attempt + 1 }, 'slack call rate limited; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    }
  }
}

/**
 * Adapts pino to the logger interface of Bolt, @slack/web-api and @slack/socket-mode.
 * Their debug lines are dropped: they print whole request and event bodies, which contain
 * message text, and Frugal never logs the text of sensitive turns.
 */
export class SlackLibraryLogger implements BoltLogger {
  private level: LogLevel = LogLevel.INFO;

  constructor(private readonly logger: Logger) {}

  debug(): void {}

  info(...message: unknown[]): void {
    this.logger.info({ library: 'slack' }, message.map(String).join(' '));
  }

  warn(...message: unknown[]): void {
    this.logger.warn({ library: 'slack' }, message.map(String).join(' '));
  }

  error(...message: unknown[]): void {
    this.logger.error({ library: 'slack' }, message.map(String).join(' '));
  }

  setLevel(level: LogLevel): void {
    this.level = level === LogLevel.DEBUG ? LogLevel.INFO : level;
  }

  getLevel(): LogLevel {
    return this.level;
  }

  setName(): void {}
}
