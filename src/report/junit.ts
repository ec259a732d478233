/** One JUnit test case: passed unless it has a failure or is skipped. */
export interface JUnitCase {
  name: string;
  classname: string;
  timeSec?: number;
  failure?: { message: string; type?: string; details?: string };
  skipped?: string;
  systemOut?: string;
}

/** One JUnit test suite. */
export interface JUnitSuite {
  name: string;
  cases: JUnitCase[];
  timestamp?: string;
  timeSec?: number;
  properties?: Record<string, string>;
}

// XML 1.0 forbids most control characters even when escaped, so they are dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escape text for XML content and attribute values. */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attrs(pairs: Array<[string, string | number | undefined]>): string {
  return pairs
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
}

function secs(v: number | undefined): string | undefined {
  return v === undefined ? undefined : v.toFixed(3);
}

/** Render suites as a JUnit XML document (the Jenkins/GitLab/GitHub-action dialect). */
export function toJUnit(suites: readonly JUnitSuite[], name = 'coupon-bench'): string {
  const count = (f: (c: JUnitCase) => boolean): number => suites.reduce((s, suite) => s + suite.cases.filter(f).length, 0);
  const total = count(() => true);
  const failures = count((c) => c.failure !== undefined);
  const skipped = count((c) => c.failure === undefined && c.skipped !== undefined);
  const time = suites.reduce((s, suite) => s + (suite.timeSec ?? 0), 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs([['name', name], ['tests', total], ['failures', failures], ['errors', 0], ['skipped', skipped], ['time', secs(time)]])}>`);
  for (const suite of suites) {
    const sf = suite.cases.filter((c) => c.failure !== undefined).length;
    const ss = suite.cases.filter((c) => c.failure === undefined && c.skipped !== undefined).length;
    out.push(
      `  <testsuite${attrs([
        ['name', suite.name],
        ['tests', suite.cases.length],
        ['failures', sf],
        ['errors', 0],
        ['skipped', ss],
        ['time', secs(suite.timeSec ?? 0)],
        ['timestamp', suite.timestamp],
      ])}>`,
    );
    const props = Object.entries(suite.properties ?? {});
    if (props.length) {
      out.push('    <properties>');
      for (const [k, v] of props) out.push(`      <property${attrs([['name', k], ['value', v]])}/>`);
      out.push('    </properties>');
    }
    for (const c of suite.cases) {
      const open = `    <testcase${attrs([['name', c.name], ['classname', c.classname], ['time', secs(c.timeSec ?? 0)]])}`;
      const inner: string[] = [];
      if (c.failure) {
        inner.push(
          `      <failure${attrs([['message', c.failure.message], ['type', c.failure.type ?? 'failure']])}>${escapeXml(c.failure.details ?? c.failure.message)}</failure>`,
        );
      } else if (c.skipped !== undefined) {
        inner.push(`      <skipped${attrs([['message', c.skipped]])}/>`);
      }
      if (c.systemOut) inner.push(`      <system-out>${escapeXml(c.systemOut)}</system-out>`);
      out.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
