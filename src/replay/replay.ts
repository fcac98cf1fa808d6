import type { Logger } from 'pino';

import { createFrugal, type Frugal } from '../app.js';
import type { Config } from '../config/config.js';
import { cleanMessageText } from '../core/normalize.js';
import { costPico, type PriceTable } from '../core/pricing.js';
import type { IncomingMessage, TurnReply } from '../core/types.js';
import type { ChatModel } from '../llm/chat-model.js';
import { EMPTY_TOTALS, type Totals, workspaceKey } from '../store/ledger.js';
import { buildPolicies, POLICY_NAMES, type PolicyName, UNLIMITED } from './policies.js';
import { DEFAULT_PROMPT_CACHE_MINUTES, type RecordedCall, RecordedAnswerModel } from './recorded-model.js';
import type { Recording } from './recording.js';
import { buildTurns, type ReplayTurn } from './turns.js';

/** Conversations whose messages the replay keeps in memory, as many as the bot keeps. */
const HISTORY_MEMORY_CONVERSATIONS = 10_000;

/**
 * Spending of one policy over the replayed turns: the ledger's totals (money in pico-dollars,
 * 1e-12 USD) and the figures the replay observed turn by turn.
 */
export interface PolicyFigures extends Totals {
  /** The model of the baseline route, or of the strong route for Frugal policies. */
  strongModel: string;
  /** Turns the core answered with a notice instead of the model, such as a message over CHAT_MAX_CONTEXT_TOKENS. */
  rejectedTurns: number;
  /** Answers the output limit cut (finish reason `length`). */
  cutAnswers: number;
  /** Turns answered by each model; cache hits and rejected turns are not counted here. */
  models: Record<string, number>;
  /** The cost so far after each turn, in replay order. */
  cumulativeCostPico: number[];
}

export interface ReplayResult {
  conversations: number;
  turns: number;
  /** Turns with no later message by another author, replayed with an empty answer. */
  unansweredTurns: number;
  /** The inactivity limit of the prompt cache estimate in minutes, or 0 when the estimate was off. */
  promptCacheMinutes: number;
  policies: Record<PolicyName, PolicyFigures>;
}

export interface ReplayOptions {
  /** Minutes a cached prompt prefix stays active without use. 0 turns the prompt cache estimate off. */
  promptCacheMinutes?: number;
}

/** Replays the recording's turns under every policy derived from the Frugal policy. */
export async function runReplay(recording: Recording, optimized: Config, logger: Logger, options: ReplayOptions = {}): Promise<ReplayResult> {
  const promptCacheMinutes = options.promptCacheMinutes ?? DEFAULT_PROMPT_CACHE_MINUTES;
  const turns = buildTurns(recording.conversations);
  const configs = buildPolicies(optimized);
  // The policies run side by side, so that one waits on its sqlite store while another counts tokens.
  const figures = await Promise.all(POLICY_NAMES.map((name) => replayPolicy(configs[name], turns, logger, promptCacheMinutes)));
  const policies = Object.fromEntries(POLICY_NAMES.map((name, i) => [name, figures[i]!])) as Record<PolicyName, PolicyFigures>;
  return {
    conversations: recording.conversations.length,
    turns: turns.length,
    unansweredTurns: turns.filter((turn) => turn.answer === undefined).length,
    promptCacheMinutes,
    policies,
  };
}

/**
 * Replays turns through a ChatSession wired as the bot wires it, with a throwaway store in
 * memory, the recorded answers as the model, and each message's recorded time as the clock of
 * both the session and the prompt cache estimate. Totals come from the session's ledger.
 */
export async function replayPolicy(
  config: Config,
  turns: readonly ReplayTurn[],
  logger: Logger,
  promptCacheMinutes = DEFAULT_PROMPT_CACHE_MINUTES,
): Promise<PolicyFigures> {
  let clock = new Date(0);
  const model = new RecordedAnswerModel({ now: () => clock, promptCacheMinutes });
  const frugal = await openReplaySession(config, logger, model, () => clock);
  const figures: PolicyFigures = {
    ...EMPTY_TOTALS,
    strongModel: config.chat.strongModel,
    rejectedTurns: 0,
    cutAnswers: 0,
    models: {},
    cumulativeCostPico: [],
  };
  const workspaces = new Set<string>();
  try {
    let spent = 0;
    for (const turn of turns) {
      clock = turn.message.at;
      model.setAnswer(turn.answer ? cleanMessageText(turn.answer.text) : '');
      workspaces.add(workspaceKey(turn.conversation.platform, turn.conversation.workspaceId));
      const reply = await frugal.session.handle(incomingMessage(turn));
      spent += countTurn(figures, reply, model.lastCall, frugal.session.prices);
      figures.cumulativeCostPico.push(spent);
    }
    for (const workspace of workspaces) {
      const { total } = await frugal.store.ledger.workspaceTotals(workspace, clock);
      for (const key of Object.keys(EMPTY_TOTALS) as (keyof Totals)[]) figures[key] += total[key];
    }
  } finally {
    await frugal.close();
  }
  return figures;
}

/** Wires the core as the bot does, on a sqlite store in memory. */
async function openReplaySession(config: Config, logger: Logger, model: ChatModel, now: () => Date): Promise<Frugal> {
  // The baseline reads every conversation's whole history on every turn, and the bot's history
  // memory keeps only the newest 10 messages, so each turn would read them all back from
  // sqlite. Keeping every message in memory returns the same messages, and the store still
  // receives every write.
  const historyMemory = { conversations: HISTORY_MEMORY_CONVERSATIONS, recentMessages: UNLIMITED };
  return createFrugal({ ...config, storeUrl: 'sqlite://:memory:' }, logger, { model, now, historyMemory });
}

function incomingMessage({ conversation, message }: ReplayTurn): IncomingMessage {
  return {
    platform: conversation.platform,
    workspaceId: conversation.workspaceId,
    conversationId: conversation.conversationId,
    userId: message.authorId,
    text: message.text,
    isDirectMessage: conversation.isDirectMessage,
    receivedAt: message.at,
  };
}

/** Counts a turn's reply into the figures and returns its cost in pico-dollars. */
function countTurn(figures: PolicyFigures, reply: TurnReply, call: RecordedCall | undefined, prices: PriceTable): number {
  if (reply.kind === 'notice') figures.rejectedTurns++;
  if (reply.kind !== 'answer' || !call) return 0;
  figures.models[call.model] = (figures.models[call.model] ?? 0) + 1;
  if (call.finishReason === 'length') figures.cutAnswers++;
  return costPico(prices.require(call.model), call.usage);
}
