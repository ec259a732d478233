import { randomUUID } from 'node:crypto';
import { MYSQL_URL, REDIS_URL, uniquePrefix } from '../helpers/env.js';
import { startGrantsService } from '../fixtures/foreign/grants-service.js';
import { describeAdversarialAcceptance } from './foreign-harness.js';

// Another service in another dialect (promotion and member in the path, bearer token, form body,
// 201/409/410 with the outcome in the body) on Redis (remaining counter + holder SET) and MariaDB.
const TOKEN = `tok-${randomUUID()}`;

describeAdversarialAcceptance({
  title: 'adversarial against a foreign grants service (MariaDB, spawned CLI)',
  dialect: 'grants',
  db: MYSQL_URL,
  env: { PROMO_TOKEN: TOKEN },
  start: (variant) => {
    const table = `grants_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return startGrantsService({ variant, redisUrl: REDIS_URL, mysqlUrl: MYSQL_URL, prefix: uniquePrefix('grants'), table, token: TOKEN });
  },
});
