import type { ChatSession } from '../src/core/chat-session.js';
import { tokenCounterFor } from '../src/core/tokens.js';
import type { ChatMessage } from '../src/core/types.js';
import type { InstantModel } from './core.js';
import { channelMessage, questionVariant } from './workload.js';

export interface PromptTurn {
  turn: number;
  /** Prompt tokens of the system prompt, the whole history and the question. */
  baseline: number;
  /** Prompt tokens of the request Frugal sent, or 0 on a cache hit. */
  frugal: number;
}

/**
 * Plays one conversation of `turns` distinct questions through `session` and counts, for each
 * turn, the prompt tokens of the request the model received and of the request that would
 * resend the system prompt and the whole history. Both are counted with the project's counter.
 */
export async function measurePromptGrowth(
  session: ChatSession,
  model: InstantModel,
  questions: readonly string[],
  options: { turns: number; firstQuestion: number },
): Promise<PromptTurn[]> {
  const history: ChatMessage[] = [];
  const system: ChatMessage = { role: 'system', content: session.options.systemPrompt };
  const results: PromptTurn[] = [];
  for (let turn = 1; turn <= options.turns; turn++) {
    const text = questionVariant(questions, options.firstQuestion + turn);
    const callsBefore = model.requests;
    const reply = await session.handle(channelMessage('prompt-growth', 'U1', text));
    const request = model.requests > callsBefore ? model.lastRequest : undefined;
    const counter = tokenCounterFor(request?.model ?? session.router.route(text).model);
    const question: ChatMessage = { role: 'user', content: text };
    results.push({
      turn,
      baseline: counter.countMessages([system, ...history, question]),
      frugal: request ? counter.countMessages(request.messages) : 0,
    });
    history.push(question, { role: 'assistant', content: reply.text });
  }
  return results;
}
