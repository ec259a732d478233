/**
 * Why the ledger read is not the whole record of what clients were told, or undefined when it is:
 * lines that are not ledger records (a torn or edited file), or another number of records than
 * the run's report says it wrote. An audit of part of a ledger would pass what it never saw (an
 * answer cut off) or fail a correct server (a coupon whose 200 was in the lost part), so it is
 * exit 97, whatever the invariants say.
 */
export function ledgerIntegrityProblem(
  path: string,
  read: { records: number; malformed: number },
  reported: { records?: number } | undefined,
): string | undefined {
  const problems: string[] = [];
  if (read.malformed > 0) problems.push(`${read.malformed} line(s) are not ledger records (a torn or edited file)`);
  if (reported?.records !== undefined && reported.records !== read.records) {
    problems.push(`it holds ${read.records} record(s) where the run's report says it wrote ${reported.records}`);
  }
  return problems.length ? `${path}: ${problems.join('; ')}` : undefined;
}
