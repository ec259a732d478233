import { readFileSync } from 'node:fs';

/**
 * The harness reason when a burst could not open some of its connections before the release:
 * none at all and no answer is an unreachable target; otherwise those requests did not leave at
 * the same instant as the others, which is what a burst measures. Names the open-file limit when
 * it is the likely cause.
 */
export function burstWarmupReason(errors: readonly string[], requests: number, answered: number, fileLimit: number | undefined): string {
  const first = errors[0] ?? '';
  if (errors.length >= requests && answered === 0) return `target unreachable: no connection could be opened (${first})`;
  const fds =
    errors.some((e) => /EMFILE|ENFILE/.test(e)) || (fileLimit !== undefined && fileLimit < requests + 64)
      ? `; the process's open-file limit (ulimit -n${fileLimit !== undefined ? `: ${fileLimit}` : ''}) is too low for ${requests} connections`
      : '';
  return `burst: ${errors.length} of ${requests} connections could not be opened before the release (${first}${fds}), so not every request left at once`;
}

/** The soft limit on open files of this process (Linux: /proc/self/limits); undefined when unknown. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
