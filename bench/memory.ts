import { readJsonLine, startScript, stopChild } from './children.js';

export interface MemoryReading {
  heapUsed: number;
  rss: number;
}

export interface MemoryResult {
  conversations: number;
  turns: number;
  seconds: number;
  /** After a forced garbage collection, with the core open and warm but no conversations yet. */
  before: MemoryReading;
  /** After a forced garbage collection, with every conversation still active. */
  after: MemoryReading;
}

const PROBE_TIMEOUT_MS = 600_000;
/** Time the probe gets to close its store and exit after printing its readings. */
const CLOSE_TIMEOUT_MS = 30_000;

/** Runs the memory probe in a child process started with --expose-gc and returns its readings. */
export async function measureMemory(directory: string, conversations: number, turns: number): Promise<MemoryResult> {
  const child = startScript('./memory-probe.ts', ['--directory', directory, '--conversations', String(conversations), '--turns', String(turns)], ['--expose-gc']);
  try {
    return await readJsonLine<MemoryResult>(child, 'The memory probe', PROBE_TIMEOUT_MS);
  } finally {
    await stopChild(child, CLOSE_TIMEOUT_MS);
  }
}
