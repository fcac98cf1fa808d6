import type Keyv from 'keyv';

import { StoreError } from '../store/store.js';
import { LruMap } from './lru-map.js';

/** Per-workspace settings changed with commands. */
export interface WorkspaceSettings {
  /** The model every turn uses, set with `/model NAME`; absent when routing decides. */
  model?: string;
}

/** How long a workspace's settings are served from memory before the store is read again. */
const MEMORY_TTL_MS = 5000;

/** Workspace settings in the store, served from memory for up to five seconds between reads. */
export class SettingsStore {
  private readonly memory = new LruMap<string, { settings: WorkspaceSettings; readAt: number }>(10_000);

  constructor(private readonly kv: Keyv) {}

  async get(workspace: string): Promise<WorkspaceSettings> {
    const known = this.memory.get(workspace);
    if (known && Date.now() - known.readAt < MEMORY_TTL_MS) return known.settings;
    const settings = (await this.kv.get<WorkspaceSettings>(`settings:${workspace}`)) ?? {};
    this.memory.set(workspace, { settings, readAt: Date.now() });
    return settings;
  }

  async update(workspace: string, change: Partial<WorkspaceSettings>): Promise<WorkspaceSettings> {
    const next = { ...(await this.get(workspace)), ...change };
    for (const key of Object.keys(next) as (keyof WorkspaceSettings)[]) {
      if (next[key] === undefined) delete next[key];
    }
    // keyv reports a failed write by returning false, not by throwing.
    if (!(await this.kv.set(`settings:${workspace}`, next))) {
      throw new StoreError(`Failed to save the settings of ${workspace}: the store rejected the write.`);
    }
    this.memory.set(workspace, { settings: next, readAt: Date.now() });
    return next;
  }
}
