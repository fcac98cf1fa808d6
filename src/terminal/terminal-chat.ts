import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

import type { Frugal } from '../app.js';
import { COMMAND_NAMES } from '../commands/commands.js';
import { cleanMessageText } from '../core/normalize.js';

export const TERMINAL_USER = 'local';

/**
 * Returns the command a line names, or undefined for a question. A line is a command when its
 * first word is `/` and a command name, or when it is one `/word` alone, which then gets the
 * unknown command reply. Other lines that start with `/`, such as "/etc/hosts is missing", are questions.
 */
export function parseCommand(text: string): { name: string; args: string } | undefined {
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const [, name = '', args = ''] = match;
  if ((COMMAND_NAMES as readonly string[]).includes(name.toLowerCase())) return { name, args };
  if (args === '' && /^[A-Za-z][\w-]*$/.test(name)) return { name, args };
  return undefined;
}

/**
 * Runs the terminal chat until end of input. One line is one message, and `/stats`,
 * `/optimize` and `/model` are commands. Works on a pipe and on a TTY. The terminal user
 * is the local admin.
 */
export async function runTerminalChat(frugal: Frugal, input: Readable, output: Writable): Promise<void> {
  const interactive = Boolean((input as { isTTY?: boolean }).isTTY);
  const lines = createInterface({ input, terminal: false, crlfDelay: Infinity });
  const write = (text: string) => output.write(`${text}\n`);
  // Each run is a conversation of its own, so an earlier run's history is not sent again.
  const conversationId = `session-${new Date().toISOString()}`;
  if (interactive) write('Frugal terminal chat. Type a question, /stats, /optimize or /model. Ctrl-D exits.');

  for await (const line of lines) {
    const text = line.trim();
    // A line of only control or zero-width characters is as empty as a blank one.
    if (cleanMessageText(text) === '') continue;
    try {
      const command = parseCommand(text);
      if (command) {
        write(
          await frugal.commands.run({
            platform: 'terminal',
            workspaceId: 'local',
            userId: TERMINAL_USER,
            name: command.name,
            args: command.args,
            isPlatformAdmin: true,
          }),
        );
        continue;
      }
      const reply = await frugal.session.handle({
        platform: 'terminal',
        workspaceId: 'local',
        conversationId,
        userId: TERMINAL_USER,
        text,
        isDirectMessage: false,
      });
      write(reply.text);
    } catch (error) {
      frugal.logger.error({ err: error }, 'terminal turn failed');
      write('Failed to answer this message because of an internal error, which is in the log. Please try again.');
    }
  }
}
