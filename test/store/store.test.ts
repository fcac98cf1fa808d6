import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ledgerPath } from '../../src/store/sqlite-store.js';
import { openStore, type Store, StoreError } from '../../src/store/store.js';

let store: Store | undefined;
let directory: string | undefined;

afterEach(async () => {
  await store?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
  store = undefined;
  directory = undefined;
});

describe('openStore', () => {
  it.each([
    ['data/frugal.sqlite', 'data/frugal.ledger.sqlite'],
    ['state.sqlite3', 'state.ledger.sqlite3'],
    ['state.db', 'state.db.ledger'],
    [':memory:', ':memory:'],
  ])('keeps the ledger of %s in %s', (path, expected) => {
    expect(ledgerPath(path)).toBe(expected);
  });

  it('creates the folder and both files, and keeps values across reopening', async () => {
    directory = mkdtempSync(join(tmpdir(), 'frugal-store-'));
    const file = join(directory, 'nested', 'frugal.sqlite');
    store = await openStore(`sqlite://${file}`);
    await store.kv.set('probe', { answer: 42 });
    await store.close();
    expect(existsSync(file)).toBe(true);
    expect(existsSync(ledgerPath(file))).toBe(true);
    store = await openStore(`sqlite://${file}`);
    expect(await store.kv.get('probe')).toEqual({ answer: 42 });
  });

  it('rejects an unsupported store URL', async () => {
    await expect(openStore('postgresql://127.0.0.1/frugal')).rejects.toThrow(
      'Unsupported STORE_URL "postgresql://127.0.0.1/frugal": expected sqlite://PATH or redis://HOST:PORT.',
    );
  });

  it('rejects a store folder under a file', async () => {
    directory = mkdtempSync(join(tmpdir(), 'frugal-store-'));
    writeFileSync(join(directory, 'plain'), 'not a folder');
    const url = `sqlite://${join(directory, 'plain', 'nested', 'frugal.sqlite')}`;
    await expect(openStore(url)).rejects.toThrow(StoreError);
    await expect(openStore(url)).rejects.toThrow(
      `Cannot create the folder ${join(directory, 'plain', 'nested')} of STORE_URL=${url}: ENOTDIR`,
    );
  });
});
