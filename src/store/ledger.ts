import type { LedgerRecord, QueryClass } from '../core/types.js';

/** Summed figures over a set of ledger records. Money is in pico-dollars (1e-12 USD). */
export interface Totals {
  turns: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  costPico: number;
  cacheHits: number;
  avoidedPico: number;
}

export interface PeriodTotals {
  today: Totals;
  month: Totals;
  total: Totals;
}

export interface RankedTotals extends Totals {
  id: string;
}

/** Answered turns grouped by query class and model, with their summed usage. */
export interface UsageGroup {
  queryClass: QueryClass;
  model: string;
  routeReason: string;
  turns: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  costPico: number;
}

/** Figures the /optimize suggestions are computed from, over one period. */
export interface OptimizeFacts {
  byClassAndModel: UsageGroup[];
  /** Answered turns whose prompt was larger than the threshold passed in, grouped by model. */
  longContexts: { model: string; turns: number; tokensAboveThreshold: number; cachedTokens: number }[];
  outputLimitHits: { model: string; turns: number; costPico: number }[];
  /** Answered turns that repeated a question answered earlier in the period. */
  repeatedQuestions: { turns: number; costPico: number; distinctQuestions: number };
}

/** Returns the UTC day (`d:2026-12-04`) and month (`m:2026-12`) period keys of a time. */
export function periodKeys(at: Date): { day: string; month: string } {
  const iso = at.toISOString();
  return { day: `d:${iso.slice(0, 10)}`, month: `m:${iso.slice(0, 7)}` };
}

/** Returns the key of a workspace's records: `platform:workspaceId`. */
export function workspaceKey(platform: string, workspaceId: string): string {
  return `${platform}:${workspaceId}`;
}

/** Totals with every figure at zero, for a scope with no records yet. */
export const EMPTY_TOTALS: Readonly<Totals> = {
  turns: 0,
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  costPico: 0,
  cacheHits: 0,
  avoidedPico: 0,
};

/**
 * The ledger: one record per turn, with running totals per workspace, user, model and
 * conversation kept in step, so that /stats reads a handful of totals however many turns
 * there were. Periods are UTC days and months. Workspaces are keys from workspaceKey.
 */
export interface Ledger {
  /** Writes one record and its running totals atomically. */
  record(record: LedgerRecord): Promise<void>;
  /** Writes many records; used by imports and benchmarks. */
  recordMany(records: readonly LedgerRecord[]): Promise<void>;
  /** Returns a user's totals for today, this month and all time. */
  userTotals(workspace: string, userId: string, now: Date): Promise<PeriodTotals>;
  /** Returns a workspace's totals for today, this month and all time. */
  workspaceTotals(workspace: string, now: Date): Promise<PeriodTotals>;
  /** Returns the users with the highest spend in a period (`all`, or a key from periodKeys). */
  topUsers(workspace: string, period: string, limit: number): Promise<RankedTotals[]>;
  /** Returns the conversations with the highest spend of all time. */
  topConversations(workspace: string, limit: number): Promise<RankedTotals[]>;
  /** Returns spend per model in a period, most expensive first. */
  modelBreakdown(workspace: string, period: string, limit?: number): Promise<RankedTotals[]>;
  /** Returns the sum of every user's totals in a period; equals the workspace totals when nothing was lost. */
  sumOfUsers(workspace: string, period: string): Promise<Totals>;
  /** Returns the number of records of a workspace. */
  recordCount(workspace: string): Promise<number>;
  /** Collects the figures that /optimize needs for the records at or after `since`. */
  optimizeFacts(workspace: string, since: Date, longContextThreshold: number): Promise<OptimizeFacts>;
  close(): Promise<void>;
}

/** The scopes and periods one record adds to, as `[scope, scopeId, periods]`. */
export function totalsScopes(record: LedgerRecord): [string, string, string[]][] {
  const { day, month } = periodKeys(record.at);
  return [
    ['workspace', '', [day, month, 'all']],
    ['user', record.userId, [day, month, 'all']],
    ['model', record.model, [month, 'all']],
    ['conversation', record.conversationId, ['all']],
  ];
}
