/** The kinds of personal data or secrets that make a turn sensitive. */
export type SensitiveReason = 'direct-message' | 'email' | 'phone' | 'card' | 'secret';

// Every repetition below is bounded or starts after a fixed prefix, so a long paste is scanned
// in linear time; an unbounded `+` before the `@` would make a 1 MB line take minutes.
const EMAIL = /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}/u;
/** International numbers with a plus sign, and ten-digit numbers written with area-code separators. */
const PHONE = /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}\b|\+\d{8,15}\b/;
/** Runs of 13 to 19 digits, optionally grouped by spaces or dashes; confirmed with the Luhn check. */
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;
const SECRETS: RegExp[] = [
  /\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bxapp-[A-Za-z0-9-]{10,}/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
  /\b(?:password|passwd|pwd|api[_ -]?key|secret|token)\s*[:=]\s*\S{6,}/i,
];
/** Words of 32 or more key characters that mix digits, lower and upper case: the shape of generated keys. */
const KEY_WORD = /^[A-Za-z0-9_-]{32,}$/;

function hasHighEntropyWord(text: string): boolean {
  for (const word of text.split(/[\s"'`()<>[\]{},;]+/)) {
    if (word.length >= 32 && KEY_WORD.test(word) && /\d/.test(word) && /[a-z]/.test(word) && /[A-Z]/.test(word)) return true;
  }
  return false;
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Lists the kinds of personal data or secrets found in a text; empty when there are none. */
export function detectPersonalData(text: string): SensitiveReason[] {
  const reasons: SensitiveReason[] = [];
  if (EMAIL.test(text)) reasons.push('email');
  if (PHONE.test(text)) reasons.push('phone');
  for (const match of text.matchAll(CARD_CANDIDATE)) {
    if (passesLuhn(match[0].replace(/[ -]/g, ''))) {
      reasons.push('card');
      break;
    }
  }
  if (SECRETS.some((pattern) => pattern.test(text)) || hasHighEntropyWord(text)) reasons.push('secret');
  return reasons;
}
