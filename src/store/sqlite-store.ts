import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import KeyvSqlite from '@keyv/sqlite';
import BetterSqlite3 from 'better-sqlite3';
import Keyv from 'keyv';

import { KeyedMutex } from '../core/keyed-mutex.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { type Store, StoreError } from './store.js';

const BUSY_TIMEOUT_MS = 5000;

/**
 * Returns the ledger's file for a store file: `data/frugal.sqlite` keeps its ledger in
 * `data/frugal.ledger.sqlite`. keyv's sqlite3 and the ledger's better-sqlite3 each link their
 * own copy of SQLite. Two copies in one process do not see each other's POSIX locks, so writes
 * from both to one file can be lost.
 */
export function ledgerPath(path: string): string {
  if (path === ':memory:') return path;
  return /\.sqlite3?$/.test(path) ? path.replace(/\.(sqlite3?)$/, '.ledger.$1') : `${path}.ledger`;
}

/**
 * Opens a sqlite store at a path; `:memory:` keeps everything in memory. A sqlite store serves
 * one process: counters and claims are atomic within the process only.
 */
export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new StoreError(`Cannot create the folder for the store ${path}: ${(error as Error).message}`);
    }
  }

  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(ledgerPath(path), { timeout: BUSY_TIMEOUT_MS });
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
  } catch (error) {
    throw new StoreError(`Cannot open the ledger ${ledgerPath(path)}: ${(error as Error).message}`);
  }

  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: BUSY_TIMEOUT_MS });
  try {
    await adapter.query('PRAGMA journal_mode = WAL');
    await adapter.query('PRAGMA synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw new StoreError(`Cannot open the store ${path}: ${(error as Error).message}`);
  }
  // Without throwOnErrors keyv swallows store errors, which would turn a broken store into empty history.
  const kv = new Keyv({ store: adapter, namespace: 'frugal', useKeyPrefix: true, throwOnErrors: true });
  const ledger = new SqliteLedger(database);
  const mutex = new KeyedMutex();

  return {
    kv,
    ledger,
    shared: false,
    increment: (key, amount) =>
      mutex.run(key, async () => {
        const next = ((await kv.get<number>(`counter:${key}`)) ?? 0) + amount;
        await kv.set(`counter:${key}`, next);
        return next;
      }),
    counter: async (key) => (await kv.get<number>(`counter:${key}`)) ?? 0,
    claim: (key, ttlMs) =>
      mutex.run(key, async () => {
        if ((await kv.get(`claim:${key}`)) !== undefined) return false;
        await kv.set(`claim:${key}`, true, ttlMs);
        return true;
      }),
    async close() {
      await kv.disconnect();
      await ledger.close();
    },
  };
}
