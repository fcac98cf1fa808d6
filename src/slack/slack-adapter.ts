import type { Frugal } from '../app.js';
import type { RunningAdapter } from '../index.js';

// TODO: the Slack adapter is being built; until it lands, Slack credentials stop the process with this error.
export async function startSlack(_frugal: Frugal): Promise<RunningAdapter> {
  throw new Error('The Slack adapter is not available in this build.');
}
