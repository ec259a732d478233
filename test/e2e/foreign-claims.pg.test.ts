import { randomUUID } from 'node:crypto';
import { PG_URL, REDIS_URL, uniquePrefix } from '../helpers/env.js';
import { startClaimsService } from '../fixtures/foreign/claims-service.js';
import { describeAdversarialAcceptance } from './foreign-harness.js';

// A REST-style service in another dialect (campaign in the path, member in a header, bearer token,
// 201/409/410, nested claim id) on Redis (remaining counter + holder SET) and PostgreSQL.
const TOKEN = `tok-${randomUUID()}`;

describeAdversarialAcceptance({
  title: 'adversarial against a foreign claims service (PostgreSQL, spawned CLI)',
  dialect: 'claims',
  db: PG_URL,
  env: { SHOP_TOKEN: TOKEN },
  start: (variant) => {
    const table = `claims_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return startClaimsService({ variant, redisUrl: REDIS_URL, pgUrl: PG_URL, prefix: uniquePrefix('claims'), table, token: TOKEN });
  },
});
