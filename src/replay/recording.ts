import { readFileSync } from 'node:fs';

import type { Platform } from '../core/types.js';

/** One human message of a recorded conversation. Its text keeps the platform's markup, as the bot receives it. */
export interface RecordedMessage {
  /** Slack `ts` or Discord message id. */
  id: string;
  authorId: string;
  text: string;
  at: Date;
  /** The id of the message this one replies to, when the platform records it (Discord replies). */
  replyTo?: string;
}

/** A thread, or a channel timeline, with its human messages in time order. */
export interface RecordedConversation {
  platform: Exclude<Platform, 'terminal'>;
  workspaceId: string;
  conversationId: string;
  isDirectMessage: boolean;
  messages: RecordedMessage[];
}

/** A file that could not be read, and why; the other files are still replayed. */
export interface ReadProblem {
  file: string;
  message: string;
}

/** Everything read from the paths given to the replay. */
export class Recording {
  readonly conversations: RecordedConversation[] = [];
  /** Messages left out of the replay, counted per reason such as `channel_join` or `bot_message`. */
  readonly skipped = new Map<string, number>();
  readonly problems: ReadProblem[] = [];
  filesRead = 0;

  skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  addProblem(file: string, message: string): void {
    this.problems.push({ file, message });
  }

  /**
   * Reads and parses a JSON file. On failure it adds a problem that ends with `fix` and
   * returns undefined, which JSON.parse itself never returns.
   */
  readJson(path: string, fix: string): unknown {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      this.addProblem(path, `cannot read the file (${reasonOf(error)}); ${fix}`);
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      // V8 quotes the start of the text in its message; leave it out, because it can be a message's text.
      const reason = reasonOf(error).replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '');
      this.addProblem(path, `invalid JSON (${reason}); ${fix}`);
      return undefined;
    }
  }

  /** Adds a conversation unless it has no message. */
  addConversation(conversation: RecordedConversation): void {
    if (conversation.messages.length > 0) this.conversations.push(conversation);
  }

  skippedTotal(): number {
    let total = 0;
    for (const count of this.skipped.values()) total += count;
    return total;
  }
}

/** Returns the text of a JSON.parse or file-system error without its stack. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Orders messages by time, keeping the recorded order for equal times. */
export function sortByTime(messages: RecordedMessage[]): RecordedMessage[] {
  return messages
    .map((message, index) => ({ message, index }))
    .sort((a, b) => a.message.at.getTime() - b.message.at.getTime() || a.index - b.index)
    .map(({ message }) => message);
}
