import type { Frugal } from '../app.js';
import type { RunningAdapter } from '../index.js';

// TODO: the Discord adapter is being built; until it lands, Discord credentials stop the process with this error.
export async function startDiscord(_frugal: Frugal): Promise<RunningAdapter> {
  throw new Error('The Discord adapter is not available in this build.');
}
