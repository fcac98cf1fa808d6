import type { RecordedConversation, RecordedMessage } from './recording.js';

/** One user turn of the replay and the recorded message that supplies its answer. */
export interface ReplayTurn {
  conversation: RecordedConversation;
  message: RecordedMessage;
  /** Undefined when no one else wrote in the conversation after this message. */
  answer?: RecordedMessage;
}

/**
 * Picks the recorded answer of every message of a conversation: the first later message by
 * another author that replies to it (a Discord reply), or else the next message by another
 * author. Returns undefined for a message that nobody else followed.
 */
export function pickAnswers(messages: readonly RecordedMessage[]): (RecordedMessage | undefined)[] {
  const answers: (RecordedMessage | undefined)[] = new Array(messages.length);
  // Walking backwards, the next message by another author is the next message when its
  // author differs, and otherwise the same as the next message's own.
  for (let i = messages.length - 1; i >= 0; i--) {
    const next = messages[i + 1];
    if (next === undefined) answers[i] = undefined;
    else if (next.authorId !== messages[i]!.authorId) answers[i] = next;
    else answers[i] = answers[i + 1];
  }
  const index = new Map(messages.map((message, i) => [message.id, i]));
  const replied = new Set<number>();
  messages.forEach((message, i) => {
    const target = message.replyTo === undefined ? undefined : index.get(message.replyTo);
    if (target === undefined || target >= i || replied.has(target)) return;
    if (messages[target]!.authorId === message.authorId) return;
    answers[target] = message;
    replied.add(target);
  });
  return answers;
}

/** Lists the turns of every conversation in time order, so that the session clock only moves forward. */
export function buildTurns(conversations: readonly RecordedConversation[]): ReplayTurn[] {
  const turns: ReplayTurn[] = [];
  for (const conversation of conversations) {
    const answers = pickAnswers(conversation.messages);
    conversation.messages.forEach((message, i) => turns.push({ conversation, message, answer: answers[i] }));
  }
  return turns
    .map((turn, index) => ({ turn, index }))
    .sort((a, b) => a.turn.message.at.getTime() - b.turn.message.at.getTime() || a.index - b.index)
    .map(({ turn }) => turn);
}
