import { readFileSync } from 'node:fs';

import { seededRandom } from './workload.js';

/** Common Chinese characters, for CJK text of a given size. */
const HANZI =
  '的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黑断线';

/** Returns a base64 text of `length` characters encoding pseudo-random bytes, as a pasted key or attachment would be. */
export function base64Blob(length: number, seed: number): string {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(Math.ceil((length * 3) / 4) + 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes.toString('base64').slice(0, length);
}

/**
 * Returns Chinese text of about `bytes` UTF-8 bytes and no whitespace. With `punctuated`, a
 * comma or full stop ends every run of 8 to 40 characters, as in prose. Without it the text is
 * one run of letters, which the tokenizer's pattern keeps as one piece.
 */
export function cjkText(bytes: number, seed: number, punctuated: boolean): string {
  const random = seededRandom(seed);
  const characters: string[] = [];
  let size = 0;
  let run = 0;
  let runLength = 8 + Math.floor(random() * 33);
  while (size < bytes) {
    characters.push(HANZI[Math.floor(random() * HANZI.length)]!);
    size += 3;
    if (punctuated && ++run >= runLength) {
      characters.push(random() < 0.7 ? '，' : '。');
      size += 3;
      run = 0;
      runLength = 8 + Math.floor(random() * 33);
    }
  }
  return characters.join('');
}

/** Returns the project's own documentation as one long Markdown document: README.md and docs/*.md. */
export function longDocument(): string {
  return ['../README.md', '../docs/slack.md', '../docs/discord.md']
    .map((path) => readFileSync(new URL(path, import.meta.url), 'utf8'))
    .join('\n\n');
}
