import { readFileSync } from 'node:fs';

/** A fenced code block of a Markdown file: its info string (`sh`) and its lines. */
export interface CodeBlock {
  lang: string;
  lines: string[];
}

/** The fenced code blocks of a Markdown file, in order. */
export function codeBlocks(path: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: CodeBlock | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const fence = /^```(\S*)/.exec(line);
    if (fence && open) {
      blocks.push(open);
      open = undefined;
    } else if (fence) {
      open = { lang: fence[1] ?? '', lines: [] };
    } else if (open) {
      open.lines.push(line);
    }
  }
  return blocks;
}

/** The text of a Markdown file with its fenced code blocks and inline code left out. */
export function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of every heading of a Markdown file (outside code blocks; a repeated one gets `-1`, `-2`, as on GitHub). */
export function anchors(text: string): Set<string> {
  const seen = new Set<string>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.+)$/.exec(line);
    if (!heading) continue;
    const base = anchorOf(heading[1] ?? '');
    let anchor = base;
    for (let n = 1; seen.has(anchor); n++) anchor = `${base}-${n}`;
    seen.add(anchor);
  }
  return seen;
}
