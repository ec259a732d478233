/** Break one word longer than `width` into pieces of `width` characters. */
function chop(word: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i += width) out.push(word.slice(i, i + width));
  return out;
}

/**
 * Wrap plain text (no colour codes) to `width` characters: at spaces where it can, inside a word
 * only when the word alone is wider. Newlines are kept; nothing is ever cut off.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      const pieces = word.length > w ? chop(word, w) : [word];
      for (const piece of pieces) {
        if (line.length === 0) line = piece;
        else if (line.length + 1 + piece.length <= w) line += ` ${piece}`;
        else {
          lines.push(line);
          line = piece;
        }
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Wrap with a hanging indent: every line but the first indented by `indent` spaces. */
export function wrapHanging(text: string, width: number, indent: number): string[] {
  const pad = ' '.repeat(indent);
  return wrapText(text, width - indent).map((l, i) => (i ? pad + l : l));
}

/**
 * A shell command over several lines, each ending in ` \` so it still pastes as one command.
 * Quoted arguments are never split (a line break inside quotes would change them).
 */
export function wrapCommand(command: string, width: number, indent = 2): string[] {
  const words = command.match(/(?:'[^']*'|\\'|[^\s'])+/g) ?? [];
  const lines: string[] = [];
  let line = '';
  const room = (): number => width - 2 - (lines.length ? indent : 0);
  for (const word of words) {
    if (line.length === 0) line = word;
    else if (line.length + 1 + word.length <= room()) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines.map((l, i) => `${i ? ' '.repeat(indent) : ''}${l}${i < lines.length - 1 ? ' \\' : ''}`);
}
