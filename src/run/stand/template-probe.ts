import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { HarnessInvalidError } from '../../errors.js';
import { ApiCode } from '../../model/outcome.js';

/** How long the probe waits for each answer: a slow target is judged by the run, not here. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Before the load of a run without --setup: ask the target (GET /api/templates/:id) whether each
 * template exists, so a missing one costs a second and a hint, not a full run of 404s. Only the
 * bundled contract's own answer (404 with code COUPON_TEMPLATE_NOT_FOUND) refuses the run; any
 * other answer, or none, leaves the judgement to the run (another service may not have this route).
 */
export async function assertTemplatesExist(origin: string, templateIds: readonly number[]): Promise<void> {
  for (const id of templateIds) {
    const answer = await getCode(`${origin}/api/templates/${id}`);
    if (answer?.status === 404 && answer.code === ApiCode.TemplateNotFound) {
      throw new HarnessInvalidError(
        `template ${id} does not exist at ${origin}: add --setup to create the scenario's templates first, or name an existing one with --template-id`,
        'E_TEMPLATE_NOT_FOUND',
      );
    }
  }
}

/**
 * GET `url`: its status and the body's `code` field (undefined when not JSON); undefined when no
 * answer came in time. node:http rather than fetch: fetch's first call loads a client worth more
 * than the probe itself.
 */
function getCode(url: string): Promise<{ status: number; code: unknown } | undefined> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((done) => {
    const req = get(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 64 * 1024) body += c;
      });
      res.on('end', () => {
        let code: unknown;
        try {
          code = (JSON.parse(body) as { code?: unknown }).code;
        } catch {
          // not JSON: not the bundled contract's answer
        }
        done({ status: res.statusCode ?? 0, code });
      });
      res.on('error', () => done(undefined));
    });
    req.on('error', () => done(undefined));
  });
}
