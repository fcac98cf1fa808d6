import type Keyv from 'keyv';

import { StoreError } from '../store/store.js';

/** Per-workspace settings changed with commands. */
export interface WorkspaceSettings {
  /** The model every turn uses, set with `/model NAME`; absent when routing decides. */
  model?: string;
}

export class SettingsStore {
  constructor(private readonly kv: Keyv) {}

  async get(workspace: string): Promise<WorkspaceSettings> {
    return (await this.kv.get<WorkspaceSettings>(`settings:${workspace}`)) ?? {};
  }

  async update(workspace: string, change: Partial<WorkspaceSettings>): Promise<WorkspaceSettings> {
    const next = { ...(await this.get(workspace)), ...change };
    for (const key of Object.keys(next) as (keyof WorkspaceSettings)[]) {
      if (next[key] === undefined) delete next[key];
    }
    // keyv reports a failed write by returning false, not by throwing.
    if (!(await this.kv.set(`settings:${workspace}`, next))) {
      throw new StoreError(`Could not save the settings of ${workspace}: the store rejected the write.`);
    }
    return next;
  }
}
