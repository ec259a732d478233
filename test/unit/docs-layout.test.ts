import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The paths the Layout block of docs/development.md names: top lines, and indented children of the last folder. */
function layoutPaths(): string[] {
  const text = readFileSync(join(ROOT, 'docs/development.md'), 'utf8');
  const block = /## Layout\n+```\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const paths: string[] = [];
  let parent = '';
  for (const line of block.split('\n')) {
    const top = /^(\S+)\s/.exec(line);
    if (top?.[1]) {
      paths.push(top[1]);
      if (top[1].endsWith('/')) parent = top[1];
      continue;
    }
    const child = /^ {2}([\w.-]+\/?)\s/.exec(line);
    if (child?.[1]) paths.push(parent + child[1]);
  }
  return paths;
}

const isDir = (p: string): boolean => statSync(join(ROOT, p)).isDirectory();
const dirsOf = (p: string): string[] => readdirSync(join(ROOT, p)).filter((f) => !f.startsWith('.') && isDir(join(p, f)));

describe('docs/development.md Layout matches the tree', () => {
  const named = layoutPaths();

  it('reads the Layout block (it names src/ folders and more)', () => {
    expect(named.filter((p) => p.startsWith('src/')).length).toBeGreaterThan(10);
  });

  it('every path it names exists', () => {
    const missing = named.filter((p) => (p.includes('*') ? !readdirSync(join(ROOT, 'src')).some((f) => f.endsWith('.ts')) : !existsSync(join(ROOT, p))));
    expect(missing).toEqual([]);
  });

  it('names every folder of src/, every folder of src/run/ and every tracked top-level folder', () => {
    const want = [
      ...dirsOf('src').map((d) => `src/${d}/`),
      ...dirsOf('src/run').map((d) => `src/run/${d}/`),
      ...['bin', 'bench', 'docs', 'lua', 'scenarios', 'scripts', 'src', 'test', 'reports'].filter((d) => existsSync(join(ROOT, d))).map((d) => `${d}/`),
    ];
    const top = new Set(named.map((p) => p.split('/')[0] + '/'));
    const unnamed = want.filter((w) => !named.includes(w) && !(w.split('/').length === 2 && top.has(w)));
    expect(unnamed).toEqual([]);
  });

  it('names every Lua script by its command', () => {
    const text = readFileSync(join(ROOT, 'docs/development.md'), 'utf8');
    const scripts = readdirSync(join(ROOT, 'lua')).map((f) => f.replace(/-\d+\.lua$/, ''));
    expect(scripts.filter((s) => !new RegExp(`\\b${s}\\b`).test(text))).toEqual([]);
  });
});
