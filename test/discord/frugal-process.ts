import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A `npm start`-like Frugal process with its parsed JSON log lines. */
export interface FrugalProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first log line whose `msg` is `message`, or rejects after `timeoutMs`. */
  waitForLine(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * Resolves with the exit code, the signal name when a signal ended the process, or null when
   * the process did not exit within `timeoutMs`.
   */
  exited(timeoutMs: number): Promise<number | string | null>;
  cleanup(): void;
}

/** Starts src/index.ts in a child process with only the given variables and a fresh sqlite store. */
export function startFrugalProcess(env: Record<string, string>): FrugalProcess {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-process-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? '', STORE_URL: `sqlite://${join(directory, 'frugal.sqlite')}`, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));

  return {
    child,
    lines,
    async waitForLine(message, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((entry) => entry.msg === message);
        if (line) return line;
        if (Date.now() > deadline) throw new Error(`No "${message}" log line within ${timeoutMs} ms: ${JSON.stringify(lines.slice(-5))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    exited: (timeoutMs) =>
      Promise.race([exit, new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref())]),
    cleanup() {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
