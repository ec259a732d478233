/** Width of piped output when `COLUMNS` does not say: the verdict table stays readable in CI logs. */
export const PIPED_WIDTH = 120;

/**
 * The width to render for: `COLUMNS` when set (as `ls` and most CLIs honour it), else the terminal's,
 * else {@link PIPED_WIDTH}. `fromTerminal` is false for that last default: lines such as a headline
 * then stay whole, for grep.
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): { width: number; fromTerminal: boolean } {
  const env = Number(process.env.COLUMNS);
  if (Number.isSafeInteger(env) && env >= 20) return { width: env, fromTerminal: true };
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns >= 20) return { width: stream.columns, fromTerminal: true };
  return { width: PIPED_WIDTH, fromTerminal: false };
}
