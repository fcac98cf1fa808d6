import type { LedgerRecord } from '../src/core/types.js';
import type { Store } from '../src/store/store.js';
import { type Summary, summarize } from './stats.js';
import { BENCH_WORKSPACE_ID } from './workload.js';

export interface StoreOperationsResult {
  ledgerRecord: Summary;
  kvSet: Summary;
  kvGet: Summary;
}

async function time(count: number, operation: (i: number) => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    await operation(i);
    samples.push(performance.now() - startedAt);
  }
  return summarize(samples);
}

/**
 * Times the store operations a turn is made of, one at a time: writing one ledger record with
 * its running totals, and setting and getting one small value in the key-value store.
 */
export async function measureStoreOperations(store: Store, count: number, now: Date): Promise<StoreOperationsResult> {
  const record = (i: number): LedgerRecord => ({
    at: now,
    platform: 'slack',
    workspaceId: BENCH_WORKSPACE_ID,
    conversationId: `store-operations-${i % 50}`,
    userId: `U${i % 200}`,
    model: 'gpt-4o-mini',
    routeReason: 'no-rule',
    queryClass: 'default',
    outcome: 'answered',
    usage: { promptTokens: 400, cachedTokens: 0, completionTokens: 80 },
    costPico: 108_000_000,
    cacheHit: false,
    avoidedPico: 0,
    maxTokens: 300,
    historyMessages: 2,
    latencyMs: 1,
  });
  return {
    ledgerRecord: await time(count, (i) => store.ledger.record(record(i))),
    kvSet: await time(count, (i) => store.kv.set(`store-operations:${i}`, { value: i })),
    kvGet: await time(count, (i) => store.kv.get(`store-operations:${i}`)),
  };
}
