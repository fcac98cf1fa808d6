import type { ChatSession } from '../src/core/chat-session.js';
import type { ChatMessage } from '../src/core/types.js';
import type { ChatModel } from '../src/llm/chat-model.js';
import { ANSWERS } from './answers.js';
import { type Summary, summarize } from './stats.js';
import { channelMessage, questionVariant } from './workload.js';

export interface ThroughputOptions {
  turns: number;
  warmup: number;
  concurrency: number;
  turnsPerConversation: number;
  firstQuestion: number;
}

export interface ThroughputResult {
  turns: number;
  seconds: number;
  turnsPerSecond: number;
  latency: Summary;
  /** Turns that got a reply other than a model answer; any at all means the figures are wrong. */
  failedTurns: number;
}

/**
 * Runs `turns` turns through `session` from `concurrency` workers at once. Each worker keeps
 * one conversation going for `turnsPerConversation` turns and then starts the next. Every
 * question is new, so every turn calls the model.
 */
async function runTurns(session: ChatSession, questions: readonly string[], turns: number, options: ThroughputOptions, label: string, firstQuestion: number) {
  const latencies: number[] = [];
  let started = 0;
  let failedTurns = 0;
  const worker = async (id: number) => {
    for (let own = 0; started < turns; own++) {
      const n = started++;
      const conversation = `${label}-${id}-${Math.floor(own / options.turnsPerConversation)}`;
      const message = channelMessage(conversation, `U${id}`, questionVariant(questions, firstQuestion + n));
      const startedAt = performance.now();
      const reply = await session.handle(message);
      latencies.push(performance.now() - startedAt);
      if (reply.kind !== 'answer') failedTurns++;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  return { seconds: (performance.now() - startedAt) / 1000, latencies, failedTurns };
}

/** Measures turns per second through the whole turn, model call included, after a warm-up. */
export async function measureThroughput(session: ChatSession, questions: readonly string[], options: ThroughputOptions): Promise<ThroughputResult> {
  await runTurns(session, questions, options.warmup, options, 'load-warmup', options.firstQuestion);
  const run = await runTurns(session, questions, options.turns, options, 'load', options.firstQuestion + options.warmup);
  return {
    turns: options.turns,
    seconds: run.seconds,
    turnsPerSecond: options.turns / run.seconds,
    latency: summarize(run.latencies),
    failedTurns: run.failedTurns,
  };
}

/**
 * Measures chat model calls per second with no core around them, from `concurrency` callers
 * at once, each request a system prompt, four history messages and a question.
 */
export async function measureModelCalls(model: ChatModel, questions: readonly string[], options: { calls: number; warmup: number; concurrency: number }): Promise<number> {
  const messages = (n: number): ChatMessage[] => [
    { role: 'system', content: 'You are Frugal, a concise support assistant.' },
    { role: 'user', content: questionVariant(questions, n) },
    { role: 'assistant', content: ANSWERS[n % ANSWERS.length]! },
    { role: 'user', content: questionVariant(questions, n + 1) },
    { role: 'assistant', content: ANSWERS[(n + 1) % ANSWERS.length]! },
    { role: 'user', content: questionVariant(questions, n + 2) },
  ];
  const call = async (count: number) => {
    let started = 0;
    const worker = async () => {
      while (started < count) {
        const n = started++;
        await model.complete({ model: 'gpt-4o-mini', messages: messages(n), maxTokens: 300 });
      }
    };
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return (performance.now() - startedAt) / 1000;
  };
  await call(options.warmup);
  return options.calls / (await call(options.calls));
}
