import { join } from 'node:path';

import pino from 'pino';

import { createFrugal, type Frugal } from '../src/app.js';
import { parseConfig } from '../src/config/config.js';
import type { ChatModel, Completion, CompletionRequest } from '../src/llm/chat-model.js';
import { createLogger } from '../src/logger.js';
import { ANSWERS } from './answers.js';

/** Configuration every benchmark core shares: a sqlite store in `directory`, and the project's defaults otherwise. */
export function benchConfig(directory: string, env: Record<string, string> = {}) {
  return parseConfig({
    // The in-process models never call this URL; it only satisfies the configuration check and points nowhere else.
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    STORE_URL: `sqlite://${join(directory, 'frugal.sqlite')}`,
    ...env,
  });
}

/**
 * Opens a Frugal core as the adapters get it. Logs go through the project's logger at `info`
 * to /dev/null, so that each turn still pays for its `turn finished` line.
 */
export async function openCore(directory: string, env: Record<string, string> = {}, model?: ChatModel): Promise<Frugal> {
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
  return createFrugal(benchConfig(directory, env), logger, { model });
}

/**
 * A chat model that returns a completion at once without I/O, so that a turn's time is the core's own.
 * Its usage is an estimate of four characters a token, because counting exactly would add
 * tokenizer time that a real model call does not cost the bot.
 */
export class InstantModel implements ChatModel {
  requests = 0;
  lastRequest: CompletionRequest | undefined;

  async complete(request: CompletionRequest): Promise<Completion> {
    this.requests++;
    this.lastRequest = request;
    // A new string per answer, as a parsed response body gives, so that memory figures count each answer.
    const text = Buffer.from(ANSWERS[this.requests % ANSWERS.length]!, 'utf8').toString('utf8');
    let characters = 0;
    for (const message of request.messages) characters += message.content.length;
    return {
      text,
      usage: { promptTokens: Math.ceil(characters / 4), cachedTokens: 0, completionTokens: Math.ceil(text.length / 4) },
      finishReason: 'stop',
      requestId: `bench-${this.requests}`,
    };
  }
}

