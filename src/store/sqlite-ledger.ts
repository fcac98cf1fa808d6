import type { Database, Statement } from 'better-sqlite3';

import type { LedgerRecord } from '../core/types.js';
import {
  EMPTY_TOTALS,
  type Ledger,
  type OptimizeFacts,
  type PeriodTotals,
  periodKeys,
  type RankedTotals,
  type Totals,
  totalsScopes,
  type UsageGroup,
  workspaceKey,
} from './ledger.js';

const TOTALS_COLUMNS =
  'turns AS turns, prompt_tokens AS promptTokens, cached_tokens AS cachedTokens, ' +
  'completion_tokens AS completionTokens, cost_pico AS costPico, cache_hits AS cacheHits, avoided_pico AS avoidedPico';

const SUMMED_COLUMNS =
  'COALESCE(SUM(turns), 0) AS turns, COALESCE(SUM(prompt_tokens), 0) AS promptTokens, ' +
  'COALESCE(SUM(cached_tokens), 0) AS cachedTokens, COALESCE(SUM(completion_tokens), 0) AS completionTokens, ' +
  'COALESCE(SUM(cost_pico), 0) AS costPico, COALESCE(SUM(cache_hits), 0) AS cacheHits, ' +
  'COALESCE(SUM(avoided_pico), 0) AS avoidedPico';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  platform TEXT NOT NULL,
  workspace TEXT NOT NULL,
  conversation TEXT NOT NULL,
  user TEXT NOT NULL,
  model TEXT NOT NULL,
  route_reason TEXT NOT NULL,
  query_class TEXT NOT NULL,
  outcome TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cost_pico INTEGER NOT NULL,
  cache_hit INTEGER NOT NULL,
  avoided_pico INTEGER NOT NULL,
  question_hash TEXT,
  finish_reason TEXT,
  max_tokens INTEGER NOT NULL,
  history_messages INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_workspace_at ON ledger (workspace, at);
CREATE TABLE IF NOT EXISTS ledger_totals (
  workspace TEXT NOT NULL,
  scope TEXT NOT NULL,
  scope_id TEXT NOT NULL,
  period TEXT NOT NULL,
  turns INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cost_pico INTEGER NOT NULL,
  cache_hits INTEGER NOT NULL,
  avoided_pico INTEGER NOT NULL,
  PRIMARY KEY (workspace, scope, scope_id, period)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_totals_ranking ON ledger_totals (workspace, scope, period, cost_pico);
`;

/** One row of ledger_totals as the upsert statement binds it. */
interface TotalsRow extends Totals {
  workspace: string;
  scope: string;
  scopeId: string;
  period: string;
}

/**
 * The ledger in a sqlite file: one row per turn, and the running totals updated in the same
 * transaction. better-sqlite3 is synchronous, so concurrent turns in one process cannot
 * interleave inside a transaction.
 */
export class SqliteLedger implements Ledger {
  private readonly insertRecord: Statement;
  private readonly addTotals: Statement;
  private readonly selectTotals: Statement;
  private readonly selectRanked: Statement;
  private readonly selectPeriodTotals: Statement;
  private readonly writeRecords: (records: readonly LedgerRecord[]) => void;

  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    this.insertRecord = db.prepare(`INSERT INTO ledger (at, platform, workspace, conversation, user, model, route_reason,
      query_class, outcome, prompt_tokens, cached_tokens, completion_tokens, cost_pico, cache_hit, avoided_pico,
      question_hash, finish_reason, max_tokens, history_messages, latency_ms)
      VALUES (@at, @platform, @workspace, @conversation, @user, @model, @routeReason, @queryClass, @outcome,
      @promptTokens, @cachedTokens, @completionTokens, @costPico, @cacheHit, @avoidedPico, @questionHash,
      @finishReason, @maxTokens, @historyMessages, @latencyMs)`);
    this.addTotals = db.prepare(`INSERT INTO ledger_totals (workspace, scope, scope_id, period, turns, prompt_tokens,
      cached_tokens, completion_tokens, cost_pico, cache_hits, avoided_pico)
      VALUES (@workspace, @scope, @scopeId, @period, @turns, @promptTokens, @cachedTokens, @completionTokens, @costPico,
      @cacheHits, @avoidedPico)
      ON CONFLICT (workspace, scope, scope_id, period) DO UPDATE SET
        turns = turns + excluded.turns,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
        cached_tokens = cached_tokens + excluded.cached_tokens,
        completion_tokens = completion_tokens + excluded.completion_tokens,
        cost_pico = cost_pico + excluded.cost_pico,
        cache_hits = cache_hits + excluded.cache_hits,
        avoided_pico = avoided_pico + excluded.avoided_pico`);
    this.selectTotals = db.prepare(
      `SELECT ${TOTALS_COLUMNS} FROM ledger_totals WHERE workspace = ? AND scope = ? AND scope_id = ? AND period = ?`,
    );
    this.selectRanked = db.prepare(
      `SELECT scope_id AS id, ${TOTALS_COLUMNS} FROM ledger_totals WHERE workspace = ? AND scope = ? AND period = ?
       ORDER BY cost_pico DESC LIMIT ?`,
    );
    this.selectPeriodTotals = db.prepare(
      `SELECT ${SUMMED_COLUMNS} FROM ledger_totals WHERE workspace = ? AND scope = ? AND period = ?`,
    );
    this.writeRecords = db.transaction((records: readonly LedgerRecord[]) => {
      // A large batch touches far fewer totals rows than it has records, so its figures are
      // summed in memory first and each row is updated once.
      const totals = new Map<string, TotalsRow>();
      for (const record of records) this.writeOne(record, totals);
      for (const row of totals.values()) this.addTotals.run(row);
    });
  }

  async record(record: LedgerRecord): Promise<void> {
    this.writeRecords([record]);
  }

  /** Writes many records in one transaction. */
  async recordMany(records: readonly LedgerRecord[]): Promise<void> {
    this.writeRecords(records);
  }

  async userTotals(workspace: string, userId: string, now: Date): Promise<PeriodTotals> {
    return this.periodTotals(workspace, 'user', userId, now);
  }

  async workspaceTotals(workspace: string, now: Date): Promise<PeriodTotals> {
    return this.periodTotals(workspace, 'workspace', '', now);
  }

  async topUsers(workspace: string, period: string, limit: number): Promise<RankedTotals[]> {
    return this.selectRanked.all(workspace, 'user', period, limit) as RankedTotals[];
  }

  async topConversations(workspace: string, limit: number): Promise<RankedTotals[]> {
    return this.selectRanked.all(workspace, 'conversation', 'all', limit) as RankedTotals[];
  }

  async modelBreakdown(workspace: string, period: string, limit = 20): Promise<RankedTotals[]> {
    return this.selectRanked.all(workspace, 'model', period, limit) as RankedTotals[];
  }

  async sumOfUsers(workspace: string, period: string): Promise<Totals> {
    return this.selectPeriodTotals.get(workspace, 'user', period) as Totals;
  }

  async recordCount(workspace: string): Promise<number> {
    const row = this.db.prepare('SELECT COUNT(*) AS records FROM ledger WHERE workspace = ?').get(workspace) as {
      records: number;
    };
    return row.records;
  }

  async optimizeFacts(workspace: string, since: Date, longContextThreshold: number): Promise<OptimizeFacts> {
    const sinceMs = since.getTime();
    const byClassAndModel = this.db
      .prepare(
        `SELECT query_class AS queryClass, model, route_reason AS routeReason, COUNT(*) AS turns,
           SUM(prompt_tokens) AS promptTokens, SUM(cached_tokens) AS cachedTokens,
           SUM(completion_tokens) AS completionTokens, SUM(cost_pico) AS costPico
         FROM ledger WHERE workspace = ? AND at >= ? AND outcome = 'answered'
         GROUP BY query_class, model, route_reason`,
      )
      .all(workspace, sinceMs) as UsageGroup[];
    const longContexts = this.db
      .prepare(
        `SELECT model, COUNT(*) AS turns, SUM(prompt_tokens - ?) AS tokensAboveThreshold,
           SUM(cached_tokens) AS cachedTokens
         FROM ledger WHERE workspace = ? AND at >= ? AND outcome = 'answered' AND prompt_tokens > ?
         GROUP BY model`,
      )
      .all(longContextThreshold, workspace, sinceMs, longContextThreshold) as OptimizeFacts['longContexts'];
    const outputLimitHits = this.db
      .prepare(
        `SELECT model, COUNT(*) AS turns, SUM(cost_pico) AS costPico
         FROM ledger WHERE workspace = ? AND at >= ? AND outcome = 'answered' AND finish_reason = 'length'
         GROUP BY model`,
      )
      .all(workspace, sinceMs) as OptimizeFacts['outputLimitHits'];
    const repeatedQuestions = this.db
      .prepare(
        `SELECT COUNT(*) AS turns, COALESCE(SUM(cost_pico), 0) AS costPico,
           COUNT(DISTINCT question_hash) AS distinctQuestions
         FROM (
           SELECT question_hash, cost_pico,
             ROW_NUMBER() OVER (PARTITION BY question_hash ORDER BY at, id) AS occurrence
           FROM ledger
           WHERE workspace = ? AND at >= ? AND question_hash IS NOT NULL AND outcome IN ('answered', 'cache_hit')
         )
         WHERE occurrence > 1 AND cost_pico > 0`,
      )
      .get(workspace, sinceMs) as OptimizeFacts['repeatedQuestions'];
    return { byClassAndModel, longContexts, outputLimitHits, repeatedQuestions };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private periodTotals(workspace: string, scope: string, scopeId: string, now: Date): PeriodTotals {
    const { day, month } = periodKeys(now);
    const read = (period: string) =>
      (this.selectTotals.get(workspace, scope, scopeId, period) as Totals | undefined) ?? { ...EMPTY_TOTALS };
    return { today: read(day), month: read(month), total: read('all') };
  }

  /** Inserts one record's row and adds its figures to the batch's totals rows. */
  private writeOne(record: LedgerRecord, totals: Map<string, TotalsRow>): void {
    const workspace = workspaceKey(record.platform, record.workspaceId);
    this.insertRecord.run({
      at: record.at.getTime(),
      platform: record.platform,
      workspace,
      conversation: record.conversationId,
      user: record.userId,
      model: record.model,
      routeReason: record.routeReason,
      queryClass: record.queryClass,
      outcome: record.outcome,
      promptTokens: record.usage.promptTokens,
      cachedTokens: record.usage.cachedTokens,
      completionTokens: record.usage.completionTokens,
      costPico: record.costPico,
      cacheHit: record.cacheHit ? 1 : 0,
      avoidedPico: record.avoidedPico,
      questionHash: record.questionHash ?? null,
      finishReason: record.finishReason ?? null,
      maxTokens: record.maxTokens,
      historyMessages: record.historyMessages,
      latencyMs: Math.round(record.latencyMs),
    });
    for (const [scope, scopeId, periods] of totalsScopes(record)) {
      for (const period of periods) {
        const key = `${workspace}\u0000${scope}\u0000${scopeId}\u0000${period}`;
        let row = totals.get(key);
        if (!row) {
          row = { workspace, scope, scopeId, period, ...EMPTY_TOTALS };
          totals.set(key, row);
        }
        row.turns++;
        row.promptTokens += record.usage.promptTokens;
        row.cachedTokens += record.usage.cachedTokens;
        row.completionTokens += record.usage.completionTokens;
        row.costPico += record.costPico;
        row.cacheHits += record.cacheHit ? 1 : 0;
        row.avoidedPico += record.avoidedPico;
      }
    }
  }
}
