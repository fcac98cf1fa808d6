import { parseArgs } from 'node:util';

import { exitWithParent } from './children.js';
import { InstantModel, openCore } from './core.js';
import type { MemoryResult, MemoryReading } from './memory.js';
import { channelMessage, loadQuestions, questionVariant } from './workload.js';

// Child process of the memory section: it needs --expose-gc, and a heap that no other section
// has grown. It prints one JSON line with the readings and exits.

const collectGarbage = (globalThis as { gc?: () => void }).gc;

function read(): MemoryReading {
  // Collects twice, so that garbage released by the first pass's finalizers is freed too.
  collectGarbage!();
  collectGarbage!();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

async function main(): Promise<void> {
  if (!collectGarbage) throw new Error('Missing global gc: start memory-probe.ts with node --expose-gc.');
  const { values } = parseArgs({ options: { directory: { type: 'string' }, conversations: { type: 'string' }, turns: { type: 'string' } } });
  const conversations = Number(values.conversations);
  const turns = Number(values.turns);
  if (!values.directory || !(conversations > 0) || !(turns > 0)) {
    throw new Error('Usage: memory-probe.ts --directory DIR --conversations N --turns N');
  }

  const questions = loadQuestions();
  const frugal = await openCore(values.directory, {}, new InstantModel());
  try {
    // Loads the rank table, compiles the hot code and prepares the statements before the first reading.
    for (let i = 0; i < 20; i++) await frugal.session.handle(channelMessage('memory-warmup', 'U0', questionVariant(questions, i)));
    const before = read();
    const startedAt = performance.now();
    let question = 1000;
    for (let turn = 0; turn < turns; turn++) {
      for (let c = 0; c < conversations; c++) {
        await frugal.session.handle(channelMessage(`memory-${c}`, `U${c % 500}`, questionVariant(questions, question++)));
      }
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const after = read();
    const result: MemoryResult = { conversations, turns, seconds, before, after };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await frugal.close();
  }
}

exitWithParent(() => process.exit(1));
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`memory-probe: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
