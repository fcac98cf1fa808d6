import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DeliveryDedupe, deliveryKeys } from '../../src/slack/delivery-dedupe.js';
import { openStore, type Store } from '../../src/store/store.js';

describe('DeliveryDedupe', () => {
  let directory: string;
  let store: Store;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'frugal-dedupe-'));
    store = await openStore(`sqlite://${join(directory, 'frugal.sqlite')}`);
  });

  afterEach(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('claims a delivery once', async () => {
    const dedupe = new DeliveryDedupe(store);
    expect(await dedupe.claim(deliveryKeys('T1', 'C1', '1.1', 'Ev1'))).toBe(true);
    expect(await dedupe.claim(deliveryKeys('T1', 'C1', '1.1', 'Ev1'))).toBe(false);
  });

  it('matches on channel and ts across event ids', async () => {
    const dedupe = new DeliveryDedupe(store);
    expect(await dedupe.claim(deliveryKeys('T1', 'C1', '1.1', 'Ev1'))).toBe(true);
    expect(await dedupe.claim(deliveryKeys('T1', 'C1', '1.1', 'Ev2'))).toBe(false);
    expect(await dedupe.claim(deliveryKeys('T1', 'C1', '1.2', 'Ev3'))).toBe(true);
  });

  it('claims concurrent deliveries once', async () => {
    const dedupe = new DeliveryDedupe(store);
    const results = await Promise.all([1, 2, 3].map((i) => dedupe.claim(deliveryKeys('T1', 'C1', '2.1', `Ev${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('remembers claims across a restart', async () => {
    expect(await new DeliveryDedupe(store).claim(deliveryKeys('T1', 'C1', '3.1', 'Ev1'))).toBe(true);
    await store.close();
    store = await openStore(`sqlite://${join(directory, 'frugal.sqlite')}`);
    expect(await new DeliveryDedupe(store).claim(deliveryKeys('T1', 'C1', '3.1', 'Ev1'))).toBe(false);
  });

  it('claims again after a failed store claim', async () => {
    const dedupe = new DeliveryDedupe(store);
    const keys = deliveryKeys('T1', 'C1', '4.1', 'Ev1');
    const database = new BetterSqlite3(join(directory, 'frugal.sqlite'));
    database.exec('DROP TABLE keyv');
    await expect(dedupe.claim(keys)).rejects.toThrow(/no such table/);

    database.exec('CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)');
    database.close();
    expect(await dedupe.claim(keys)).toBe(true);
    expect(await dedupe.claim(keys)).toBe(false);
  });
});
