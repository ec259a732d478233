import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerPathOf } from '../../src/report/ledger-path.js';

describe("a report's ledger path (merge reads only inside the report's folder)", () => {
  const root = mkdtempSync(join(tmpdir(), 'cb-ledger-path-'));
  const dir = join(root, 'shard1');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'ledger.ndjson'), '');
  writeFileSync(join(root, 'secret.ndjson'), 'x\n');
  symlinkSync(join(root, 'secret.ndjson'), join(dir, 'link.ndjson'));
  symlinkSync(root, join(dir, 'up'));
  const report = join(dir, 'report.json');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('resolves a plain name, or one in a sub-folder, beside the report', async () => {
    await expect(ledgerPathOf(report, 'ledger.ndjson')).resolves.toBe(join(dir, 'ledger.ndjson'));
    await expect(ledgerPathOf(report, 'sub/ledger.ndjson')).resolves.toBe(join(dir, 'sub', 'ledger.ndjson'));
  });

  it.each([
    ['an absolute path', '/etc/passwd'],
    ['a step out', '../secret.ndjson'],
    ['a step out in the middle', 'sub/../../secret.ndjson'],
    ['the folder itself', '.'],
    ['a link to a file outside', 'link.ndjson'],
    ['a file under a link to a folder outside', 'up/secret.ndjson'],
    ['no name', ''],
    ['not a string', 42],
    ['a NUL byte', 'ledger\0.ndjson'],
  ])('refuses %s with E_LEDGER_PATH', async (_name, file) => {
    await expect(ledgerPathOf(report, file)).rejects.toMatchObject({ code: 'E_LEDGER_PATH', exitCode: 1 });
  });
});
