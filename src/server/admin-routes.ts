import { timingSafeEqual } from 'node:crypto';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../redis/keys.js';
import type { AppCore, AppRequest } from './app-core.js';
import { isJson } from './content-type.js';
import { badTemplateId, draining, invalid, notJson, redisUnavailable, slowRouteFailed, templateConflict, templateNotFound, unauthorized } from './error-map.js';
import { parseStrictObject } from './strict-json.js';
import { restoreTemplate } from './template-restore.js';
import { parseIdSegment } from './validate-issue.js';

export const ADMIN_TEMPLATES = '/api/admin/templates/';
export const TEMPLATES = '/api/templates/';

/** PUT /api/admin/templates/:id (create or confirm a template) and GET /api/templates/:id. */
export class AdminRoutes {
  private readonly adminTokenBuf: Buffer | undefined;

  constructor(private readonly app: AppCore) {
    const token = app.deps.adminToken;
    this.adminTokenBuf = token === undefined ? undefined : Buffer.from(token);
  }

  /** PUT /api/admin/templates/:id, the method already checked. */
  put(req: AppRequest, idSegment: string): void {
    const id = parseIdSegment(idSegment);
    if (id === undefined) return this.app.answer(req.route, req, badTemplateId());
    if (!this.authorized(req)) return this.app.answer(req.route, req, unauthorized());
    if (this.app.draining) return this.app.answer(req.route, req, draining());
    if (!isJson(req.headers['content-type'])) return this.app.answer(req.route, req, notJson());
    this.readBody(req, (body) => void this.app.track(this.putTemplate(req, id, body)));
  }

  /** GET /api/templates/:id, the method already checked. */
  get(req: AppRequest, idSegment: string): void {
    const id = parseIdSegment(idSegment);
    if (id === undefined) return this.app.answer(req.route, req, badTemplateId());
    void this.app.track(this.getTemplate(req, id));
  }

  private authorized(req: AppRequest): boolean {
    const want = this.adminTokenBuf;
    if (want === undefined) return true;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-admin-token'];
    if (typeof given !== 'string') return false;
    const got = Buffer.from(given);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** Read a small body with the same limit as the issue route; calls back with the text. */
  private readBody(req: AppRequest, done: (body: string) => void): void {
    const limit = this.app.bodyLimit;
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > limit) return this.app.tooLarge(req);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        this.app.tooLarge(req);
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => done(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData);
    req.on('end', onEnd);
  }

  private async putTemplate(req: AppRequest, templateId: number, text: string): Promise<void> {
    const parsed = parseTemplateBody(text);
    if (typeof parsed === 'string') return this.app.answer(req.route, req, invalid(parsed));
    const { stock } = parsed;
    const name = parsed.name ?? `template-${templateId}`;
    const { redis, store, prefix, soldOut, restores } = this.app.deps;
    if (redis.status !== 'ready') return this.app.answer(req.route, req, redisUnavailable(redis.status));
    try {
      // The database first: it outlives Redis. A template it holds keeps its stock, and Redis gets
      // back its persisted coupons before anything is created (see template-restore.ts).
      const known = await store.getTemplate(templateId);
      if (known !== undefined && known.stock !== stock) return this.app.answer(req.route, req, templateConflict(templateId, known.stock));
      if (known !== undefined) await restoreTemplate(redis, store, prefix, known);
      const k = templateKeys(prefix, templateId);
      const [code, current, issued] = await redis.createTemplate(k.stock, k.seq, k.users, k.outbox, stock, PERSISTER_GROUP);
      // Created now: any state this server kept of an earlier template with this id is gone.
      if (code === 0) soldOut?.drop(templateId);
      if (code === 2) return this.app.answer(req.route, req, templateConflict(templateId, current));
      // Index and DB row on every call (idempotent): a retry repairs a half-finished creation.
      await redis.sadd(templatesIndexKey(prefix), String(templateId));
      await store.upsertTemplate({ templateId, name, stock, createdAt: Date.now() });
      restores?.remember(templateId);
      const row = await store.getTemplate(templateId);
      const body = JSON.stringify({ templateId, name: row?.name ?? name, stock, issued, created: code === 0 });
      this.ok(req, code === 0 ? 201 : 200, body, this.app.o[code === 0 ? 'created' : 'ok']!);
    } catch (err) {
      this.app.answer(req.route, req, slowRouteFailed('cannot create template', err));
    }
  }

  private async getTemplate(req: AppRequest, templateId: number): Promise<void> {
    const { redis, store, prefix } = this.app.deps;
    if (redis.status !== 'ready') return this.app.answer(req.route, req, redisUnavailable(redis.status));
    try {
      const k = templateKeys(prefix, templateId);
      const [stockS, seqS] = await redis.mget(k.stock, k.seq);
      if (stockS === null || stockS === undefined) return this.app.answer(req.route, req, templateNotFound(templateId));
      const [row, persisted] = await Promise.all([store.getTemplate(templateId), store.countIssued(templateId)]);
      const body = JSON.stringify({
        templateId,
        name: row?.name ?? `template-${templateId}`,
        stock: Number(stockS),
        issued: Number(seqS ?? 0),
        persisted,
      });
      this.ok(req, 200, body, this.app.o.ok!);
    } catch (err) {
      this.app.answer(req.route, req, slowRouteFailed('cannot read template', err));
    }
  }

  private ok(req: AppRequest, status: number, body: string, outcome: number): void {
    if (req.respond(status, body, undefined)) this.app.recordAt(req.route, req, outcome);
  }
}

/** Admin body: {"stock": <int >= 0>, "name"?: <string>}, read as strictly as the issue body. */
export function parseTemplateBody(text: string): { stock: number; name?: string } | string {
  const parsed = parseStrictObject(text);
  if (typeof parsed === 'string') return parsed;
  const o = parsed.value;
  for (const key of Object.keys(o)) if (key !== 'stock' && key !== 'name') return `unknown field "${key}"`;
  if (typeof o.stock !== 'number' || !Number.isSafeInteger(o.stock) || o.stock < 0) return '"stock" must be a safe integer >= 0';
  if (parsed.notPlainIntegers.has('stock')) return '"stock" must be written as a plain integer (no fraction or exponent)';
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200)) {
    return '"name" must be a string of 1..200 characters';
  }
  return o.name === undefined ? { stock: o.stock } : { stock: o.stock, name: o.name };
}
