import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
 * Creates a folder and its missing parents one level at a time. Node 20's recursive mkdirSync
 * loops forever under /proc, so the nearest existing ancestor is found first and checked.
 */
function createFolder(folder: string): void {
  const missing: string[] = [];
  let ancestor = resolve(folder);
  for (;;) {
    try {
      if (!statSync(ancestor).isDirectory()) throw new Error(`${ancestor} is not a folder`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.unshift(ancestor);
    const parent = dirname(ancestor);
    if (parent === ancestor) break;
    ancestor = parent;
  }
  if (missing.length === 0) return;
  try {
    accessSync(ancestor, constants.W_OK);
  } catch {
    throw new Error(`${ancestor} is not writable`);
  }
  for (const level of missing) mkdirSync(level);
}

/**
 * Opens a sqlite store at a path; `:memory:` keeps everything in memory. A sqlite store serves
 * one process: counters and claims are atomic within the process only.
 */
export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') {
    try {
      createFolder(dirname(path));
    } catch (error) {
      throw new StoreError(
        `Cannot create the folder ${dirname(path)} of STORE_URL=sqlite://${path}: ${(error as Error).message}. ` +
          'Set STORE_URL to a file in a writable folder.',
      );
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
