import type { CommandHandler } from '../src/commands/commands.js';
import { type Summary, summarize } from './stats.js';
import { BENCH_WORKSPACE_ID } from './workload.js';

export interface StatsLatencyResult {
  user: Summary;
  admin: Summary;
  /** The admin's reply of the last run. */
  adminReply: string;
}

/**
 * Times `/stats` through the CommandHandler for `runs` ordinary users and `runs` admins, taken
 * in turn from the ledger's users, alternating so that both see the same state of the store.
 */
export async function measureStats(commands: CommandHandler, users: readonly string[], runs: number): Promise<StatsLatencyResult> {
  const user: number[] = [];
  const admin: number[] = [];
  let adminReply = '';
  for (let i = 0; i < runs; i++) {
    for (const isPlatformAdmin of [false, true]) {
      const userId = users[(i * 7919 + (isPlatformAdmin ? 1 : 0)) % users.length]!;
      const startedAt = performance.now();
      const reply = await commands.run({ platform: 'slack', workspaceId: BENCH_WORKSPACE_ID, userId, name: 'stats', args: '', isPlatformAdmin });
      (isPlatformAdmin ? admin : user).push(performance.now() - startedAt);
      if (isPlatformAdmin) adminReply = reply;
    }
  }
  return { user: summarize(user), admin: summarize(admin), adminReply };
}
