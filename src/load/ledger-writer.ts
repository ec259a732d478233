import { createWriteStream, type WriteStream } from 'node:fs';
import type { LedgerRecord } from '../model/ledger-record.js';

const FLUSH_AT = 64 * 1024;

/**
 * Streams ledger records to an NDJSON file. Lines are batched into ~64 KiB writes; while the
 * stream is over its high-water mark, lines accumulate in one pending string until `drain`, so
 * memory stays flat as long as the disk keeps up and nothing is ever dropped.
 */
export class LedgerWriter {
  private readonly stream: WriteStream;
  private pending = '';
  private blocked = false;
  private error: Error | undefined;
  /** records written so far */
  records = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
    this.stream.on('drain', () => {
      this.blocked = false;
      if (this.pending.length >= FLUSH_AT) this.flush();
    });
    this.stream.on('error', (err) => {
      this.error = err;
    });
  }

  /** Append one record. */
  write(rec: LedgerRecord): void {
    this.pending += JSON.stringify(rec) + '\n';
    this.records++;
    if (this.pending.length >= FLUSH_AT && !this.blocked) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) this.blocked = true;
  }

  /** Flush everything and close the file. */
  async close(): Promise<void> {
    const chunk = this.pending;
    this.pending = '';
    await new Promise<void>((resolve, reject) => {
      this.stream.end(chunk, () => (this.error ? reject(this.error) : resolve()));
      this.stream.once('error', reject);
    });
  }
}
