import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import dotenv from 'dotenv';

import type { Config } from '../config/config.js';
import { createLogger } from '../logger.js';
import { renderHtmlReport } from './html-report.js';
import { parsePolicy, PolicyError, readPolicyFile } from './policies.js';
import { readPaths } from './read-paths.js';
import { reasonOf } from './recording.js';
import { DEFAULT_PROMPT_CACHE_MINUTES } from './recorded-model.js';
import { runReplay } from './replay.js';
import { buildReport, formatTable } from './report.js';

const HELP = `Usage: npm run replay -- [--json] [--html FILE] [--policy FILE] [--prompt-cache-minutes N] PATH...

Replays recorded conversations through Frugal's core with a simulated model and compares
what the bill would have been under a naive baseline and under the Frugal policy. No request
leaves the machine and no API key is needed; the store is a throwaway in memory.

PATH is an unzipped Slack export folder (channels.json and a folder of day files per
channel), a DiscordChatExporter JSON file, or a folder of such files.

Options:
  --json          print one JSON object instead of the table
  --html FILE     also write a self-contained HTML report with a chart of the cost per turn
  --policy FILE   read the Frugal policy from a JSON object of the bot's CHAT_* and
                  DM_SENSITIVE variables; without it, the environment and .env are read
  --prompt-cache-minutes N
                  minutes a cached prompt prefix stays active without use in the prompt
                  cache estimate (default 10; 0 turns the estimate off)
  -h, --help      print this help

Method:
  A conversation is a Slack thread, a Slack channel's messages outside threads, or one
  Discord export file (a channel or a thread). Each human message is a user turn, in time
  order, with its recorded time as the session clock. Its answer is the first later
  message by another author that replies to it (Discord replies), or else the next message
  by another author; that text is what the simulated model returns. A turn nobody else
  followed is replayed with an empty answer: its prompt is billed, its completion is 0.
  Joins, topic changes, bot messages and messages without text are skipped and counted
  per reason.
  Completion tokens are the answer's tokens, cut to the route's output limit (finish
  reason length). Prompt tokens are the request's messages as the API bills them. Cached
  tokens are an estimate of OpenAI's prompt caching: from 1,024 prompt tokens, the longest
  run of leading messages shared with an earlier request to the same model, rounded down
  to a multiple of 128. A prefix expires after --prompt-cache-minutes without use (OpenAI
  gives 5 to 10 minutes of inactivity, up to an hour off-peak), and each use refreshes it.
  Costs come from Frugal's price table.
  Policies: the baseline sends the system prompt and the whole history to CHAT_STRONG_MODEL
  on every turn, with no answer cache and no output limit. "frugal" is the configured
  policy. Each strategy (window, routing, cache, output limits) is also replayed alone on
  top of the baseline, and the Frugal policy once more with every route on the baseline's
  model. See docs/replay.md.

Exit status: 0 when turns were replayed, 1 when nothing could be replayed or the report
could not be written, 2 for a usage error or an invalid policy.
`;

const USAGE_HINT = 'Run npm run replay -- --help for the usage.';

interface Options {
  json: boolean;
  html?: string;
  policy?: string;
  promptCacheMinutes: number;
  paths: string[];
}

class UsageError extends Error {
  override name = 'UsageError';
}

const PROMPT_CACHE_OPTION = '--prompt-cache-minutes';

/** The value each option expects, named in the message when the value is missing. */
const OPTION_VALUES: Record<string, string> = {
  '--html': 'a file name',
  '--policy': 'a file name',
  [PROMPT_CACHE_OPTION]: 'a number of minutes',
};

function parsePromptCacheMinutes(text: string): number {
  const minutes = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(minutes)) {
    throw new UsageError(
      `Invalid ${PROMPT_CACHE_OPTION} ${JSON.stringify(text)}: expected a number of minutes, 0 or more, such as 10 (0 turns the prompt cache estimate off).`,
    );
  }
  return minutes;
}

function parseOptions(args: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        html: { type: 'string' },
        policy: { type: 'string' },
        'prompt-cache-minutes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^'\s]+)/.exec(reasonOf(error))?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`Unknown option ${option}. ${USAGE_HINT}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // parseArgs rejects a value that starts with a dash as ambiguous, so a negative number lands here.
      const next = args[args.indexOf(option ?? '') + 1];
      if (option === PROMPT_CACHE_OPTION && next !== undefined && /^-[\d.]/.test(next)) parsePromptCacheMinutes(next);
      throw new UsageError(`Missing value of ${option}: it takes ${OPTION_VALUES[option ?? ''] ?? 'a value'}. ${USAGE_HINT}`);
    }
    throw new UsageError(`${reasonOf(error)} ${USAGE_HINT}`);
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length === 0) throw new UsageError(`Missing PATH: name a Slack export folder or DiscordChatExporter JSON files. ${USAGE_HINT}`);
  const promptCacheText = parsed.values['prompt-cache-minutes'];
  return {
    json: parsed.values.json ?? false,
    html: parsed.values.html,
    policy: parsed.values.policy,
    promptCacheMinutes: promptCacheText === undefined ? DEFAULT_PROMPT_CACHE_MINUTES : parsePromptCacheMinutes(promptCacheText),
    paths: parsed.positionals,
  };
}

function fail(message: string): void {
  process.stderr.write(`replay: ${message}\n`);
}

async function main(args: string[]): Promise<number> {
  let options: Options | 'help';
  let policy: Config;
  try {
    options = parseOptions(args);
    if (options === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (options.policy) {
      policy = readPolicyFile(options.policy);
    } else {
      dotenv.config();
      policy = parsePolicy(process.env);
    }
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof PolicyError)) throw error;
    fail(error.message);
    return 2;
  }

  const recording = readPaths(options.paths);
  for (const problem of recording.problems) fail(`skipped ${problem.file}: ${problem.message}.`);
  if (recording.conversations.length === 0) {
    fail(`nothing to replay: no human message was read from ${options.paths.join(', ')}.`);
    return 1;
  }

  const result = await runReplay(recording, policy, createLogger('warn'), { promptCacheMinutes: options.promptCacheMinutes });
  const report = buildReport(recording, result, policy);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
  if (options.html) {
    try {
      writeFileSync(options.html, renderHtmlReport(report, result));
    } catch (error) {
      fail(`cannot write the HTML report to ${options.html}: ${reasonOf(error)}. Choose a writable path.`);
      return 1;
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    fail(`failed: ${reasonOf(error)}`);
    process.exitCode = 1;
  },
);
