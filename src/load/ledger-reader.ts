import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LedgerRecord } from '../model/ledger-record.js';
import { UsageError } from '../errors.js';

/** Stream the records of an NDJSON ledger (one run's, or several concatenated). */
export async function* readLedger(path: string): AsyncGenerator<LedgerRecord> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield JSON.parse(text) as LedgerRecord;
    } catch {
      throw new UsageError(`${path}:${line}: not a JSON ledger line`, 'E_LEDGER_INVALID');
    }
  }
}
