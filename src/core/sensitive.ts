/** The kinds of personal data or secrets that make a turn sensitive. */
export type SensitiveReason = 'direct-message' | 'email' | 'phone' | 'card' | 'secret';

// Every repetition below is bounded or starts after a fixed prefix, so a long paste is scanned
// in linear time; an unbounded `+` before the `@` would make a 1 MB line take minutes. The
// patterns run on NFKC-normalized text, so full-width forms such as ＠ and ４ match as @ and 4.

/** One local-part character before the `@` is enough to tell that an address is there. */
const EMAIL = /[\p{L}\p{N}._%+-]@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}/u;
const PHONES: RegExp[] = [
  // Ten-digit numbers written with area-code separators: (415) 555-2671, 415.555.2671.
  /(?:\(\d{2,4}\)|\b\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}\b/,
  // North American numbers without separators. Area code and exchange never start with 0 or 1,
  // which leaves out Unix timestamps and most order numbers.
  /\b1?[2-9]\d{2}[2-9]\d{6}\b/,
  // French national numbers in pairs: 06 12 34 56 78, 06.12.34.56.78, 0612345678.
  /\b0[1-9](?:[ .-]?\d{2}){4}\b/,
];
/** A plus sign and digit groups with single separators; confirmed by counting 8 to 15 digits. */
const INTERNATIONAL_PHONE_CANDIDATE = /\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}/g;
/** Runs of 13 to 19 digits, optionally grouped by spaces or dashes; confirmed with the Luhn check. */
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;
const SECRETS: RegExp[] = [
  /\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bxapp-[A-Za-z0-9-]{10,}/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/,
  /\bgl(?:pat|dt|ptt|rt|soat)-[A-Za-z0-9_-]{20,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
  /\bBearer\s+[A-Za-z0-9._~+/-]{16}/i,
  // A URL with a password: postgres://admin:S3cret@db:5432/app.
  /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{1,64}:[^\s/@]{1,128}@/i,
  // A credential name, possibly inside a longer one (aws_secret_access_key, DB_PASSWORD), then a value.
  /(?:password|passwd|pwd|secret|token|api[_ -]?key|access[_ -]?key)[A-Za-z0-9_]{0,30}\s*[:=]\s*\S{6}/i,
  // "my api key is 0123…": a credential name, maybe "is", then a long unbroken value.
  /\b(?:password|passwd|secret|token|api[_ -]?key|access[_ -]?key)\s+(?:is\s+)?[A-Za-z0-9_+/=.-]{16}/i,
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

function hasInternationalPhone(text: string): boolean {
  for (const match of text.matchAll(INTERNATIONAL_PHONE_CANDIDATE)) {
    const digits = match[0].replace(/\D/g, '').length;
    if (digits >= 8 && digits <= 15) return true;
  }
  return false;
}

/** Lists the kinds of personal data or secrets found in a text; empty when there are none. */
export function detectPersonalData(text: string): SensitiveReason[] {
  const normalized = text.normalize('NFKC');
  const reasons: SensitiveReason[] = [];
  if (EMAIL.test(normalized)) reasons.push('email');
  if (PHONES.some((pattern) => pattern.test(normalized)) || hasInternationalPhone(normalized)) reasons.push('phone');
  for (const match of normalized.matchAll(CARD_CANDIDATE)) {
    if (passesLuhn(match[0].replace(/[ -]/g, ''))) {
      reasons.push('card');
      break;
    }
  }
  if (SECRETS.some((pattern) => pattern.test(normalized)) || hasHighEntropyWord(normalized)) reasons.push('secret');
  return reasons;
}
