import { readJsonFile } from '../config/json-file.js';
import type { QueryClass, Route } from './types.js';

/** A routing rule: a pattern that, when it matches the question, puts the turn in a query class. */
export interface RoutingRule {
  name: string;
  queryClass: Exclude<QueryClass, 'default'>;
  pattern: RegExp;
}

export interface RouterOptions {
  defaultModel: string;
  cheapModel: string;
  strongModel: string;
  maxTokensSimple: number;
  maxTokensDefault: number;
  maxTokensComplex: number;
  /** Questions with at least this many words are complex. */
  complexMinWords: number;
  /** Rules tried before the built-in ones, in order. */
  extraRules?: RoutingRule[];
  /** When true the built-in rules are not used, only `extraRules` and the word count. */
  replaceBuiltinRules?: boolean;
}

export class RoutingRulesError extends Error {
  override name = 'RoutingRulesError';
}

/** The built-in rules. Simple patterns match the whole question; complex ones match anywhere in it. */
export const BUILTIN_RULES: RoutingRule[] = [
  {
    name: 'analysis',
    queryClass: 'complex',
    pattern: /\b(analy[sz]e|analysis|compare|comparison|contrast|evaluate|trade-?offs?|pros and cons)\b/i,
  },
  {
    name: 'detailed-explanation',
    queryClass: 'complex',
    pattern: /\b(explain (?:\w+ ){0,6}in (?:great |more |full )?detail|detailed explanation|in depth|in-depth)\b/i,
  },
  { name: 'step-by-step', queryClass: 'complex', pattern: /\b(step[ -]by[ -]step|reason through|think through)\b/i },
  { name: 'proof', queryClass: 'complex', pattern: /\b(prove|proof|derive|derivation)\b/i },
  {
    name: 'greeting',
    queryClass: 'simple',
    pattern:
      /^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day)|morning)( there| all| everyone| team| frugal)?[\s!.,?]*$/i,
  },
  {
    name: 'thanks',
    queryClass: 'simple',
    pattern:
      /^((many )?thanks( a lot| so much| again)?|thank you( very much| so much)?|thx|ty|cheers|much appreciated|great,? thanks)[\s!.,]*$/i,
  },
  {
    name: 'yes-no',
    queryClass: 'simple',
    pattern: /^(yes|no|yep|yeah|nope|nah|ok|okay|sure|correct|right|exactly|got it|sounds good)[\s!.,]*$/i,
  },
  {
    name: 'definition',
    queryClass: 'simple',
    pattern: /^(what is|what's|whats|what are|define|definition of|meaning of)( an?| the)? [\p{L}\p{N}-]+\s*\??$/iu,
  },
  {
    name: 'arithmetic',
    queryClass: 'simple',
    pattern:
      /^(what is|what's|whats|calculate|compute)?\s*\(?-?\d+(\.\d+)?\)?(\s*[-+*/x×÷^%]\s*\(?-?\d+(\.\d+)?\)?)+\s*=?\s*\??$/iu,
  },
];

interface RulesFile {
  replaceBuiltin?: unknown;
  rules?: unknown;
}

/**
 * Reads a routing rules file: `{"replaceBuiltin": false, "rules": [{"name": "refund",
 * "class": "complex", "pattern": "\\brefund\\b", "flags": "i"}]}`.
 */
export function readRoutingRules(file: string): { rules: RoutingRule[]; replaceBuiltin: boolean } {
  let parsed: RulesFile;
  try {
    parsed = readJsonFile('CHAT_ROUTING_RULES_FILE', file) as RulesFile;
  } catch (error) {
    throw new RoutingRulesError((error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(parsed.rules)) {
    throw new RoutingRulesError(
      `Invalid CHAT_ROUTING_RULES_FILE=${JSON.stringify(file)}: expected a JSON object with a "rules" array, ` +
        'such as {"rules": [{"name": "refund", "class": "complex", "pattern": "\\\\brefund\\\\b"}]}.',
    );
  }
  const rules = parsed.rules.map((entry: unknown, index: number): RoutingRule => {
    const rule = entry as Record<string, unknown>;
    const where = `rule ${index + 1} in ${file}`;
    if (typeof rule?.name !== 'string' || rule.name === '') {
      throw new RoutingRulesError(`Invalid ${where}: "name" must be a non-empty string.`);
    }
    if (rule.class !== 'simple' && rule.class !== 'complex') {
      throw new RoutingRulesError(`Invalid ${where}: "class" is ${JSON.stringify(rule.class)}, expected "simple" or "complex".`);
    }
    if (typeof rule.pattern !== 'string') {
      throw new RoutingRulesError(`Invalid ${where}: "pattern" must be a regular expression string.`);
    }
    const flags = typeof rule.flags === 'string' ? rule.flags : 'i';
    // A RegExp with g or y keeps lastIndex between test() calls, so one question would alternate between routes.
    const stateful = [...flags].find((flag) => flag === 'g' || flag === 'y');
    if (stateful) {
      throw new RoutingRulesError(
        `Invalid ${where} ("${rule.name}"): flag "${stateful}" makes the pattern remember where its last match ended, ` +
          'so one question could get different routes. Remove it; the allowed flags are i, m, s, u and v.',
      );
    }
    try {
      return { name: rule.name, queryClass: rule.class, pattern: new RegExp(rule.pattern, flags) };
    } catch (error) {
      throw new RoutingRulesError(`Invalid ${where}: ${(error as Error).message}`);
    }
  });
  return { rules, replaceBuiltin: parsed.replaceBuiltin === true };
}

function countWords(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

/** Chooses the model and output limit for a turn. */
export class Router {
  private readonly rules: RoutingRule[];

  constructor(private readonly options: RouterOptions) {
    this.rules = [...(options.extraRules ?? []), ...(options.replaceBuiltinRules ? [] : BUILTIN_RULES)];
  }

  /** Classifies a question and returns the class with the reason, such as `rule:greeting`. */
  classify(question: string): { queryClass: QueryClass; reason: string } {
    const words = countWords(question);
    for (const rule of this.rules) {
      if (rule.queryClass === 'complex' && rule.pattern.test(question)) {
        return { queryClass: 'complex', reason: `rule:${rule.name}` };
      }
    }
    if (words >= this.options.complexMinWords) return { queryClass: 'complex', reason: `long-question:${words}-words` };
    for (const rule of this.rules) {
      if (rule.queryClass === 'simple' && rule.pattern.test(question.trim())) {
        return { queryClass: 'simple', reason: `rule:${rule.name}` };
      }
    }
    return { queryClass: 'default', reason: 'no-rule' };
  }

  /**
   * Routes a turn. A workspace's pinned model wins over the rules but keeps the output limit
   * of the question's class.
   */
  route(question: string, pinnedModel?: string): Route {
    const { queryClass, reason } = this.classify(question);
    const maxTokens = this.maxTokensFor(queryClass);
    if (pinnedModel) return { model: pinnedModel, maxTokens, queryClass, reason: `workspace-pinned;${reason}` };
    return { model: this.modelFor(queryClass), maxTokens, queryClass, reason };
  }

  /** Returns the model the rules send a class to. */
  modelFor(queryClass: QueryClass): string {
    if (queryClass === 'simple') return this.options.cheapModel;
    if (queryClass === 'complex') return this.options.strongModel;
    return this.options.defaultModel;
  }

  maxTokensFor(queryClass: QueryClass): number {
    if (queryClass === 'simple') return this.options.maxTokensSimple;
    if (queryClass === 'complex') return this.options.maxTokensComplex;
    return this.options.maxTokensDefault;
  }
}
