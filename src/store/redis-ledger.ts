import type { RedisClientType } from '@redis/client';

import type { LedgerRecord, QueryClass } from '../core/types.js';
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

const TOTALS_FIELDS = ['turns', 'promptTokens', 'cachedTokens', 'completionTokens', 'costPico', 'cacheHits', 'avoidedPico'] as const;

/** A ledger record as kept in Redis: the record with its time in milliseconds. */
interface StoredRecord extends Omit<LedgerRecord, 'at'> {
  at: number;
}

function toTotals(hash: Record<string, string> | undefined): Totals {
  const totals = { ...EMPTY_TOTALS };
  for (const field of TOTALS_FIELDS) totals[field] = Number(hash?.[field] ?? 0);
  return totals;
}

/**
 * The ledger in Redis, shared by every bot process of the store. A record and its running
 * totals go out in one MULTI transaction, so concurrent writers from any process never lose
 * an increment. Totals are hashes, rankings are sorted sets scored by cost, and records are
 * one list per workspace and UTC day, which /optimize reads for the days it covers.
 */
export class RedisLedger implements Ledger {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix = 'frugal:ledger',
  ) {}

  async record(record: LedgerRecord): Promise<void> {
    await this.recordMany([record]);
  }

  async recordMany(records: readonly LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    const multi = this.client.multi();
    for (const record of records) {
      const workspace = workspaceKey(record.platform, record.workspaceId);
      const figures: Totals = {
        turns: 1,
        promptTokens: record.usage.promptTokens,
        cachedTokens: record.usage.cachedTokens,
        completionTokens: record.usage.completionTokens,
        costPico: record.costPico,
        cacheHits: record.cacheHit ? 1 : 0,
        avoidedPico: record.avoidedPico,
      };
      for (const [scope, scopeId, periods] of totalsScopes(record)) {
        for (const period of periods) {
          const key = this.totalsKey(workspace, scope, scopeId, period);
          for (const field of TOTALS_FIELDS) if (figures[field] !== 0) multi.hIncrBy(key, field, figures[field]);
          if (scope !== 'workspace') multi.zIncrBy(this.rankKey(workspace, scope, period), record.costPico, scopeId);
        }
      }
      const stored: StoredRecord = { ...record, at: record.at.getTime(), latencyMs: Math.round(record.latencyMs) };
      multi.rPush(this.recordsKey(workspace, record.at.toISOString().slice(0, 10)), JSON.stringify(stored));
      multi.incr(`${this.prefix}:${workspace}:count`);
    }
    await multi.exec();
  }

  async userTotals(workspace: string, userId: string, now: Date): Promise<PeriodTotals> {
    return this.periodTotals(workspace, 'user', userId, now);
  }

  async workspaceTotals(workspace: string, now: Date): Promise<PeriodTotals> {
    return this.periodTotals(workspace, 'workspace', '', now);
  }

  async topUsers(workspace: string, period: string, limit: number): Promise<RankedTotals[]> {
    return this.ranked(workspace, 'user', period, limit);
  }

  async topConversations(workspace: string, limit: number): Promise<RankedTotals[]> {
    return this.ranked(workspace, 'conversation', 'all', limit);
  }

  async modelBreakdown(workspace: string, period: string, limit = 20): Promise<RankedTotals[]> {
    return this.ranked(workspace, 'model', period, limit);
  }

  async sumOfUsers(workspace: string, period: string): Promise<Totals> {
    const users = await this.ranked(workspace, 'user', period, Infinity);
    const sum = { ...EMPTY_TOTALS };
    for (const user of users) for (const field of TOTALS_FIELDS) sum[field] += user[field];
    return sum;
  }

  async recordCount(workspace: string): Promise<number> {
    return Number((await this.client.get(`${this.prefix}:${workspace}:count`)) ?? 0);
  }

  async optimizeFacts(workspace: string, since: Date, longContextThreshold: number): Promise<OptimizeFacts> {
    const records = await this.recordsSince(workspace, since);
    const groups = new Map<string, UsageGroup>();
    const longContexts = new Map<string, OptimizeFacts['longContexts'][number]>();
    const limitHits = new Map<string, OptimizeFacts['outputLimitHits'][number]>();
    const seenQuestions = new Set<string>();
    const repeatedQuestions = new Set<string>();
    const repeated = { turns: 0, costPico: 0, distinctQuestions: 0 };

    records.sort((a, b) => a.at - b.at);
    for (const record of records) {
      if (record.questionHash && (record.outcome === 'answered' || record.outcome === 'cache_hit')) {
        if (seenQuestions.has(record.questionHash) && record.costPico > 0) {
          repeated.turns++;
          repeated.costPico += record.costPico;
          repeatedQuestions.add(record.questionHash);
        }
        seenQuestions.add(record.questionHash);
      }
      if (record.outcome !== 'answered') continue;
      const usage = record.usage;
      const groupKey = `${record.queryClass}\n${record.model}\n${record.routeReason}`;
      const group = groups.get(groupKey) ?? {
        queryClass: record.queryClass as QueryClass,
        model: record.model,
        routeReason: record.routeReason,
        turns: 0,
        promptTokens: 0,
        cachedTokens: 0,
        completionTokens: 0,
        costPico: 0,
      };
      group.turns++;
      group.promptTokens += usage.promptTokens;
      group.cachedTokens += usage.cachedTokens;
      group.completionTokens += usage.completionTokens;
      group.costPico += record.costPico;
      groups.set(groupKey, group);
      if (usage.promptTokens > longContextThreshold) {
        const long = longContexts.get(record.model) ?? { model: record.model, turns: 0, tokensAboveThreshold: 0, cachedTokens: 0 };
        long.turns++;
        long.tokensAboveThreshold += usage.promptTokens - longContextThreshold;
        long.cachedTokens += usage.cachedTokens;
        longContexts.set(record.model, long);
      }
      if (record.finishReason === 'length') {
        const hit = limitHits.get(record.model) ?? { model: record.model, turns: 0, costPico: 0 };
        hit.turns++;
        hit.costPico += record.costPico;
        limitHits.set(record.model, hit);
      }
    }
    repeated.distinctQuestions = repeatedQuestions.size;
    return {
      byClassAndModel: [...groups.values()],
      longContexts: [...longContexts.values()],
      outputLimitHits: [...limitHits.values()],
      repeatedQuestions: repeated,
    };
  }

  /** Does nothing: the Redis client belongs to the store, which closes it. */
  async close(): Promise<void> {}

  private async periodTotals(workspace: string, scope: string, scopeId: string, now: Date): Promise<PeriodTotals> {
    const { day, month } = periodKeys(now);
    const [today, thisMonth, total] = await Promise.all(
      [day, month, 'all'].map((period) => this.client.hGetAll(this.totalsKey(workspace, scope, scopeId, period))),
    );
    return { today: toTotals(today), month: toTotals(thisMonth), total: toTotals(total) };
  }

  private async ranked(workspace: string, scope: string, period: string, limit: number): Promise<RankedTotals[]> {
    const stop = Number.isFinite(limit) ? limit - 1 : -1;
    const members = await this.client.zRangeWithScores(this.rankKey(workspace, scope, period), 0, stop, { REV: true });
    const hashes = await Promise.all(
      members.map((member) => this.client.hGetAll(this.totalsKey(workspace, scope, member.value, period))),
    );
    return members.map((member, i) => ({ id: member.value, ...toTotals(hashes[i]) }));
  }

  private async recordsSince(workspace: string, since: Date): Promise<StoredRecord[]> {
    const days: string[] = [];
    const today = new Date();
    for (let day = new Date(since); day.getTime() <= today.getTime() + 86_400_000; day = new Date(day.getTime() + 86_400_000)) {
      days.push(day.toISOString().slice(0, 10));
    }
    const lists = await Promise.all(days.map((day) => this.client.lRange(this.recordsKey(workspace, day), 0, -1)));
    const sinceMs = since.getTime();
    return lists
      .flat()
      .map((line) => JSON.parse(line) as StoredRecord)
      .filter((record) => record.at >= sinceMs);
  }

  private totalsKey(workspace: string, scope: string, scopeId: string, period: string): string {
    return `${this.prefix}:${workspace}:totals:${scope}:${period}:${scopeId}`;
  }

  private rankKey(workspace: string, scope: string, period: string): string {
    return `${this.prefix}:${workspace}:rank:${scope}:${period}`;
  }

  private recordsKey(workspace: string, day: string): string {
    return `${this.prefix}:${workspace}:records:${day}`;
  }
}
