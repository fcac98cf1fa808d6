import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import type { LedgerRecord } from '../../src/core/types.js';
import { SqliteLedger } from '../../src/store/sqlite-ledger.js';

const databases: BetterSqlite3.Database[] = [];

afterEach(() => {
  for (const database of databases.splice(0)) database.close();
});

function openLedger(): { ledger: SqliteLedger; database: BetterSqlite3.Database } {
  const database = new BetterSqlite3(':memory:');
  databases.push(database);
  return { ledger: new SqliteLedger(database), database };
}

/** Builds records over two months, two workspaces and a few users, models and conversations, so that totals rows repeat. */
function sampleRecords(count: number): LedgerRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    at: new Date(Date.UTC(2026, 10, 28) + i * 3_600_000),
    platform: 'slack',
    workspaceId: i % 4 === 0 ? 'T2' : 'T1',
    conversationId: `C${i % 7}`,
    userId: `U${i % 5}`,
    model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
    routeReason: 'no-rule',
    queryClass: 'default',
    outcome: i % 6 === 0 ? 'cache_hit' : 'answered',
    usage: { promptTokens: 100 + i, cachedTokens: i % 2 === 0 ? 64 : 0, completionTokens: 20 + (i % 9) },
    costPico: i % 6 === 0 ? 0 : 1_000_000 + i,
    cacheHit: i % 6 === 0,
    avoidedPico: i % 6 === 0 ? 500_000 : 0,
    maxTokens: 300,
    historyMessages: i % 5,
    latencyMs: 12.5,
  }));
}

const totalsRows = (database: BetterSqlite3.Database) =>
  database.prepare('SELECT * FROM ledger_totals ORDER BY workspace, scope, scope_id, period').all();

describe('SqliteLedger', () => {
  it('batch totals equal single records', async () => {
    const records = sampleRecords(240);
    const single = openLedger();
    for (const record of records) await single.ledger.record(record);
    const batch = openLedger();
    await batch.ledger.recordMany(records);

    expect(totalsRows(batch.database)).toEqual(totalsRows(single.database));
    expect(await batch.ledger.recordCount('slack:T1')).toBe(180);
  });

  it('batch totals sum every record', async () => {
    const records = sampleRecords(240);
    const { ledger } = openLedger();
    await ledger.recordMany(records.slice(0, 100));
    await ledger.recordMany(records.slice(100));

    const inT1 = records.filter((record) => record.workspaceId === 'T1');
    const total = (await ledger.workspaceTotals('slack:T1', new Date())).total;
    expect(total.turns).toBe(inT1.length);
    expect(total.costPico).toBe(inT1.reduce((sum, record) => sum + record.costPico, 0));
    expect(total.cacheHits).toBe(inT1.filter((record) => record.cacheHit).length);
    expect(await ledger.sumOfUsers('slack:T1', 'all')).toEqual(total);
  });
});
