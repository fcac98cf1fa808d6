import { createHash } from 'node:crypto';

import { costPico, type PriceTable } from '../src/core/pricing.js';
import type { LedgerRecord, QueryClass, TurnOutcome } from '../src/core/types.js';
import { type Ledger, type Totals, workspaceKey } from '../src/store/ledger.js';
import { BENCH_WORKSPACE_ID, seededRandom } from './workload.js';

/** A second workspace with a tenth of the records, so that every query has to filter by workspace. */
export const OTHER_WORKSPACE_ID = 'T0OTHER';

const DAY_MS = 86_400_000;
const HISTORY_DAYS = 90;
const BATCH_SIZE = 50_000;
const TURNS_PER_CONVERSATION = 5;
const QUESTION_POOL = 20_000;

interface RouteShape {
  share: number;
  model: string;
  queryClass: QueryClass;
  routeReason: string;
  outcome: TurnOutcome;
  maxTokens: number;
}

/** The mix of routes and outcomes of the prefilled records, shares adding up to 1. */
const ROUTES: RouteShape[] = [
  { share: 0.6, model: 'gpt-4o-mini', queryClass: 'default', routeReason: 'no-rule', outcome: 'answered', maxTokens: 300 },
  { share: 0.15, model: 'gpt-4o-mini', queryClass: 'simple', routeReason: 'rule:definition', outcome: 'answered', maxTokens: 150 },
  { share: 0.12, model: 'gpt-4o', queryClass: 'complex', routeReason: 'rule:analysis', outcome: 'answered', maxTokens: 500 },
  { share: 0.1, model: 'gpt-4o-mini', queryClass: 'default', routeReason: 'no-rule', outcome: 'cache_hit', maxTokens: 300 },
  { share: 0.02, model: 'gpt-4o-mini', queryClass: 'default', routeReason: 'no-rule', outcome: 'too_long', maxTokens: 300 },
  { share: 0.01, model: 'gpt-4o', queryClass: 'complex', routeReason: 'rule:analysis', outcome: 'model_error', maxTokens: 500 },
];

/** Users and conversations of a prefilled ledger, for the sections that read it back. */
export interface FilledLedger {
  records: number;
  users: string[];
  conversations: number;
  seconds: number;
}

function pickRoute(value: number): RouteShape {
  let sum = 0;
  for (const route of ROUTES) {
    sum += route.share;
    if (value < sum) return route;
  }
  return ROUTES[0]!;
}

/**
 * Builds `count` ledger records over the 90 days up to `now`, oldest first. Nine in ten are in
 * the benchmark workspace, and conversations have five turns. Users are drawn with a skew, so
 * that a few users have many turns, as in a real workspace.
 */
function* generateRecords(count: number, users: readonly string[], hashes: readonly string[], prices: PriceTable, now: Date) {
  const random = seededRandom(77);
  const step = (HISTORY_DAYS * DAY_MS) / count;
  const start = now.getTime() - HISTORY_DAYS * DAY_MS;
  let userId = users[0]!;
  for (let i = 0; i < count; i++) {
    const conversation = Math.floor(i / TURNS_PER_CONVERSATION);
    if (i % TURNS_PER_CONVERSATION === 0) userId = users[Math.floor(random() ** 2 * users.length)]!;
    const route = pickRoute(random());
    const answered = route.outcome === 'answered';
    const promptTokens = answered ? 150 + Math.floor(random() * 1800) : 0;
    const usage = {
      promptTokens,
      cachedTokens: promptTokens >= 1024 && random() < 0.3 ? 1024 : 0,
      completionTokens: answered ? 20 + Math.floor(random() * route.maxTokens) : 0,
    };
    const price = prices.require(route.model);
    let finishReason: string | undefined;
    if (answered) finishReason = random() < 0.03 ? 'length' : 'stop';
    const record: LedgerRecord = {
      at: new Date(start + Math.floor(i * step)),
      platform: 'slack',
      workspaceId: conversation % 10 === 9 ? OTHER_WORKSPACE_ID : BENCH_WORKSPACE_ID,
      conversationId: `C${conversation}`,
      userId,
      model: route.model,
      routeReason: route.routeReason,
      queryClass: route.queryClass,
      outcome: route.outcome,
      usage,
      costPico: answered ? costPico(price, usage) : 0,
      cacheHit: route.outcome === 'cache_hit',
      avoidedPico: route.outcome === 'cache_hit' ? costPico(price, { promptTokens: 600, cachedTokens: 0, completionTokens: 120 }) : 0,
      questionHash: hashes[Math.floor(random() * hashes.length)],
      finishReason,
      maxTokens: route.maxTokens,
      historyMessages: (i % TURNS_PER_CONVERSATION) * 2,
      latencyMs: answered ? 300 + random() * 2000 : 1,
    };
    yield record;
  }
}

/**
 * Writes `count` records through the ledger's own batch path, 50,000 to a transaction, so that
 * the records and the running totals /stats reads are written by the same code as in production.
 */
export async function fillLedger(ledger: Ledger, prices: PriceTable, count: number, now: Date): Promise<FilledLedger> {
  const startedAt = performance.now();
  const users = Array.from({ length: Math.max(50, Math.round(count / 200)) }, (_, i) => `U${String(i).padStart(6, '0')}`);
  const hashes = Array.from({ length: QUESTION_POOL }, (_, i) => createHash('sha256').update(`question ${i}`).digest('hex'));
  let batch: LedgerRecord[] = [];
  for (const record of generateRecords(count, users, hashes, prices, now)) {
    batch.push(record);
    if (batch.length === BATCH_SIZE) {
      await ledger.recordMany(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await ledger.recordMany(batch);
  return {
    records: count,
    users,
    conversations: Math.ceil(count / TURNS_PER_CONVERSATION),
    seconds: (performance.now() - startedAt) / 1000,
  };
}

/**
 * Checks that the prefilled ledger agrees with itself: the record count, the workspace totals
 * and the sum of the users' totals. Throws with both figures on the first disagreement.
 */
export async function checkLedger(ledger: Ledger, expectedRecords: number, now: Date): Promise<void> {
  let records = 0;
  for (const workspaceId of [BENCH_WORKSPACE_ID, OTHER_WORKSPACE_ID]) {
    const workspace = workspaceKey('slack', workspaceId);
    const count = await ledger.recordCount(workspace);
    const totals = (await ledger.workspaceTotals(workspace, now)).total;
    const users = await ledger.sumOfUsers(workspace, 'all');
    if (totals.turns !== count) {
      throw new Error(`Prefilled ledger is inconsistent: ${workspace} has ${count} records but its totals count ${totals.turns} turns.`);
    }
    for (const field of Object.keys(totals) as (keyof Totals)[]) {
      if (users[field] !== totals[field]) {
        throw new Error(`Prefilled ledger is inconsistent: ${workspace} ${field} is ${totals[field]} in the totals but ${users[field]} summed over users.`);
      }
    }
    records += count;
  }
  if (records !== expectedRecords) {
    throw new Error(`Prefilled ledger is inconsistent: expected ${expectedRecords} records, found ${records}.`);
  }
}
