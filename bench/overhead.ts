import type { ChatSession } from '../src/core/chat-session.js';
import type { InstantModel } from './core.js';
import { type Summary, summarize } from './stats.js';
import { channelMessage, questionVariant, seededRandom } from './workload.js';

export type TurnKind = 'new conversation, cache miss' | 'new conversation, cache hit' | 'follow-up';

export interface OverheadResult {
  all: Summary;
  byKind: [TurnKind, Summary][];
  modelCalls: number;
}

/** Share of turns that start a conversation with a question not asked before. */
const NEW_MISS_SHARE = 0.35;
/** Share of turns that start a conversation with a question the cache stored earlier. */
const NEW_HIT_SHARE = 0.15;
/** Conversations that follow-ups are spread over, as in a busy workspace. */
const ACTIVE_CONVERSATIONS = 500;
const USERS = 200;
/**
 * Cached first questions that repeats are drawn from. The cache keeps 100 answers per workspace
 * by default (CHAT_CACHE_MAX_SIZE), so older questions would mostly have been evicted.
 */
const RECENT_CACHED = 50;

/**
 * Runs `warmup + turns` turns one after another and times each `ChatSession.handle` call:
 * new conversations with new questions, new conversations that repeat a cached first
 * question, and follow-ups in the active conversations. Questions start at `firstQuestion`
 * of the variant sequence so that sections never share a question.
 */
export async function measureOverhead(
  session: ChatSession,
  model: InstantModel,
  questions: readonly string[],
  options: { turns: number; warmup: number; firstQuestion: number },
): Promise<OverheadResult> {
  const random = seededRandom(5);
  const active: string[] = [];
  const cachedFirstQuestions: string[] = [];
  const samples = new Map<TurnKind, number[]>();
  const all: number[] = [];
  let nextQuestion = options.firstQuestion;
  let nextConversation = 0;
  const callsBefore = model.requests;

  for (let i = 0; i < options.warmup + options.turns; i++) {
    const draw = random();
    const user = `U${Math.floor(random() * USERS)}`;
    let conversation: string;
    let text: string;
    let isNew = true;
    if (draw < NEW_MISS_SHARE || active.length === 0) {
      conversation = `overhead-${nextConversation++}`;
      text = questionVariant(questions, nextQuestion++);
    } else if (draw < NEW_MISS_SHARE + NEW_HIT_SHARE && cachedFirstQuestions.length > 0) {
      conversation = `overhead-${nextConversation++}`;
      const recent = cachedFirstQuestions.slice(-RECENT_CACHED);
      text = recent[Math.floor(random() * recent.length)]!;
    } else {
      conversation = active[Math.floor(random() * active.length)]!;
      text = questionVariant(questions, nextQuestion++);
      isNew = false;
    }

    const startedAt = performance.now();
    const reply = await session.handle(channelMessage(conversation, user, text));
    const elapsed = performance.now() - startedAt;

    if (isNew) {
      active.push(conversation);
      if (active.length > ACTIVE_CONVERSATIONS) active.splice(Math.floor(random() * active.length), 1);
      if (reply.kind === 'answer') cachedFirstQuestions.push(text);
    }
    if (i < options.warmup) continue;
    let kind: TurnKind = 'follow-up';
    if (isNew) kind = reply.kind === 'cache_hit' ? 'new conversation, cache hit' : 'new conversation, cache miss';
    all.push(elapsed);
    if (!samples.has(kind)) samples.set(kind, []);
    samples.get(kind)!.push(elapsed);
  }

  const order: TurnKind[] = ['new conversation, cache miss', 'new conversation, cache hit', 'follow-up'];
  return {
    all: summarize(all),
    byKind: order.filter((kind) => samples.has(kind)).map((kind) => [kind, summarize(samples.get(kind)!)]),
    modelCalls: model.requests - callsBefore,
  };
}
