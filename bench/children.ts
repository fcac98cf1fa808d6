import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const running = new Set<ChildProcess>();
const TSX_LOADER = import.meta.resolve('tsx');
const STOP_TIMEOUT_MS = 5000;

/**
 * Starts a TypeScript file of the benchmark in a new Node process with the tsx loader. The
 * child's standard input stays open as a pipe, and the children exit when it closes, so that
 * none outlives a benchmark that crashed.
 */
export function startScript(file: string, args: readonly string[] = [], nodeFlags: readonly string[] = []): ChildProcess {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, [...nodeFlags, '--import', TSX_LOADER, path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  process.stdout.write(`Started ${file} as process ${child.pid}\n`);
  return child;
}

/** Resolves with the first line a child prints on standard output, parsed as JSON. */
export function readJsonLine<T>(child: ChildProcess, name: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`${name} printed no result within ${timeoutMs / 1000} s.`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      try {
        finish(undefined, JSON.parse(buffered.slice(0, end)) as T);
      } catch (error) {
        finish(new Error(`${name} printed a line that is not JSON: ${buffered.slice(0, 200)} (${(error as Error).message})`));
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${name} exited with ${signal ?? `code ${code}`} before printing a result.`));
    const finish = (error: Error | undefined, value?: T) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Waits up to `graceMs` for a child to exit by itself, then stops it with SIGTERM, and with
 * SIGKILL when it is still running five seconds later.
 */
export async function stopChild(child: ChildProcess, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timers = [
    setTimeout(() => child.kill('SIGTERM'), graceMs),
    setTimeout(() => child.kill('SIGKILL'), graceMs + STOP_TIMEOUT_MS),
  ];
  await exited;
  for (const timer of timers) clearTimeout(timer);
}

/** Kills every child still running; synchronous, for the `exit` event. */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Exits this child process when its parent closes standard input, as it does when it exits or crashes. */
export function exitWithParent(onExit: () => void): void {
  process.stdin.resume();
  process.stdin.once('close', onExit);
  process.stdin.once('end', onExit);
}
