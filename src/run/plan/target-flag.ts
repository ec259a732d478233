import { UsageError } from '../../errors.js';

/** `--target` as given must be an http(s) URL: the flag is to blame, not the scenario it overrides. */
export function checkTargetFlag(target: string): string {
  if (!/^https?:\/\//i.test(target)) {
    const hint = /^[\w.-]+:\d+(\/|$)/.test(target) ? ` (did you mean http://${target}?)` : ' (e.g. http://127.0.0.1:8080)';
    throw new UsageError(`--target: "${target}" must start with http:// or https://${hint}`, 'E_USAGE');
  }
  try {
    new URL(target);
  } catch {
    throw new UsageError(`--target: "${target}" is not a URL (e.g. http://127.0.0.1:8080)`, 'E_USAGE');
  }
  return target;
}
