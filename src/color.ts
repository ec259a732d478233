/**
 * Whether output to `stream` gets colours: only on a terminal, and never with `NO_COLOR` set to
 * anything but the empty string (https://no-color.org) or with `--no-color` (the CLI turns the
 * flag into `NO_COLOR=1` before parsing, so every command honours it wherever it is written).
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] === undefined || env['NO_COLOR'] === '');
}

/**
 * Take `--no-color` out of the arguments (it may stand anywhere before a `--`) and record it as
 * `NO_COLOR=1`, so a subcommand that does not declare it does not refuse it as unknown.
 */
export function takeNoColorFlag(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const kept = head.filter((a) => a !== '--no-color');
  if (kept.length !== head.length) env['NO_COLOR'] = '1';
  return end < 0 ? kept : [...kept, ...argv.slice(end)];
}
