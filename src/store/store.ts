import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import KeyvSqlite from '@keyv/sqlite';
import BetterSqlite3 from 'better-sqlite3';
import Keyv from 'keyv';

import type { Ledger } from './ledger.js';
import { SqliteLedger } from './sqlite-ledger.js';

/**
 * All shared state behind one STORE_URL: a key-value store (keyv) for history, the answer
 * cache, workspace settings and dedupe keys, and the ledger.
 */
export interface Store {
  kv: Keyv;
  ledger: Ledger;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

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

/** Opens the store named by a `sqlite://PATH` URL; `sqlite://:memory:` keeps everything in memory. */
export async function openStore(url: string): Promise<Store> {
  const match = /^sqlite:\/\/(.+)$/.exec(url);
  if (!match) throw new StoreError(`Unsupported STORE_URL ${JSON.stringify(url)}: expected sqlite://PATH.`);
  const path = match[1]!;
  const inMemory = path === ':memory:';
  if (!inMemory) {
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
  await adapter.query('PRAGMA journal_mode = WAL');
  await adapter.query('PRAGMA synchronous = NORMAL');
  // keyv swallows store errors unless told otherwise, which would turn a broken store into empty history.
  const kv = new Keyv({ store: adapter, namespace: 'frugal', useKeyPrefix: true, throwOnErrors: true });
  const ledger = new SqliteLedger(database);

  return {
    kv,
    ledger,
    async close() {
      await kv.disconnect();
      await ledger.close();
    },
  };
}
