import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchorOf, anchors, prose } from '../helpers/markdown.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every relative link of a Markdown file (`[text](target)`, images too), outside code. */
function links(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((t) => !/^[a-z]+:/i.test(t));
}

/** What is wrong with one link of `file`, or undefined when its file and anchor exist. */
function brokenLink(file: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const to = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path);
  if (!existsSync(to)) return `${file}: ${target}: no file ${relative(ROOT, to)}`;
  if (anchor === undefined || !to.endsWith('.md')) return undefined;
  return anchors(readFileSync(to, 'utf8')).has(anchor) ? undefined : `${file}: ${target}: no heading #${anchor} in ${relative(ROOT, to)}`;
}

describe('README and docs/ links', () => {
  it('finds the links it checks (README links into docs/)', () => {
    const readme = links(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(readme.filter((t) => t.startsWith('docs/')).length).toBeGreaterThan(5);
  });

  it('every relative link names a file that exists, and a heading that exists', () => {
    const broken = FILES.flatMap((file) => links(readFileSync(join(ROOT, file), 'utf8')).map((t) => brokenLink(file, t))).filter((b) => b !== undefined);
    expect(broken).toEqual([]);
  });

  it('computes GitHub anchors, and sees a missing one', () => {
    expect(anchorOf("Another team's stores")).toBe('another-teams-stores');
    expect(anchorOf('report and compare')).toBe('report-and-compare');
    expect(anchors('# A\n```\n# not a heading\n```\n## A\n')).toEqual(new Set(['a', 'a-1']));
    expect(brokenLink('README.md', 'docs/usage.md#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink('README.md', 'docs/nothing-here.md')).toMatch(/no file/);
  });
});
