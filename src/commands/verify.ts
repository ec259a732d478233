import { Command, InvalidArgumentError, Option } from 'commander';
import { withExitCode } from './action.js';
import { DURATION_FLAG_HELP, drainTimeoutMs } from './parse-options.js';
import { addForeignStoreOptions } from './foreign-store-options.js';
import { foreignFlagsOf, type ForeignStoreFlags } from '../model/foreign-stores.js';
import { colorEnabled } from '../color.js';

interface VerifyFlags extends ForeignStoreFlags {
  report?: string;
  ledger?: string;
  redis?: string;
  db?: string;
  prefix?: string;
  template?: TemplateFlag[];
  drainTimeout: number;
  json?: boolean;
  reportsDir?: string;
  junit?: string;
  strict?: boolean;
}

/** One `--template` flag: the id, and the declared stock when given. */
export interface TemplateFlag {
  id: number;
  stock?: number;
}

/**
 * `--template 3` or `--template 3:10`: a positive id, and a stock of 0 or more (the same range as
 * `run --stock` and the admin API: a template of stock 0 is a valid sold-out-from-the-start case).
 */
export function parseTemplateFlag(value: string): TemplateFlag {
  const m = /^(\d+)(?::(\d+))?$/.exec(value.trim());
  const id = Number(m?.[1]);
  const stock = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || !Number.isSafeInteger(id) || id < 1 || (stock !== undefined && !Number.isSafeInteger(stock))) {
    throw new InvalidArgumentError('expected <id> or <id>:<stock>: id a positive integer, stock an integer >= 0');
  }
  return stock === undefined ? { id } : { id, stock };
}

function collectTemplate(value: string, previous: TemplateFlag[] | undefined): TemplateFlag[] {
  return [...(previous ?? []), parseTemplateFlag(value)];
}


/** `coupon-bench verify`: audit Redis, the database and a run's ledger. */
export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description("audit Redis, the database and a run's ledger against every invariant (exit 0 pass, 100 fail, 97 nothing checked)")
    .option('--report <path>', 'reports/<run-id>/report.json (ledger, templates, stores); default: the latest run')
    .option('--ledger <path>', 'ledger.ndjson of a run (alone: proves no two 200s per user and 200s ≤ stock)')
    .option('--redis <url>', 'Redis the service used (redis+cluster://host:port,… for a Redis Cluster: every master must answer)')
    .option('--db <url>', 'database: sqlite:<path> | postgres://… | mysql://…')
    .option('--prefix <prefix>', 'Redis key prefix (default: the report\'s, else cb)')
    .option('--template <id[:stock]>', 'template to judge, with its stock (0 or more) when no report says it (repeatable)', collectTemplate)
    .addOption(
      new Option('--drain-timeout <duration>', `wait up to this long for the outbox to be persisted, ${DURATION_FLAG_HELP}`)
        .argParser(drainTimeoutMs)
        .default(5000, '5s'),
    )
    .option('--reports-dir <dir>', 'where to look for the latest run', 'reports')
    .option('--strict', 'an invariant that cannot be judged with the inputs given (SKIP), one the run did not exercise, or a PARTIAL audit is exit 97, not a qualified PASS')
    .option('--json', 'print the verdict as JSON')
    .option('--junit <file>', 'write the invariants as JUnit XML test cases');
  return addForeignStoreOptions(cmd).action(
      withExitCode(async (flags: VerifyFlags) => {
        if (flags.junit !== undefined) {
          const { prepareOutputFile } = await import('../output-path.js');
          await prepareOutputFile('--junit', flags.junit);
        }
        const [{ verify }, { formatVerdict }] = await Promise.all([import('../verify/verify.js'), import('../verify/verdict-table.js')]);
        const templateIds: number[] = [];
        const stocks: Record<number, number> = {};
        for (const t of flags.template ?? []) {
          templateIds.push(t.id);
          if (t.stock !== undefined) stocks[t.id] = t.stock;
        }
        const verdict = await verify({
          reportPath: flags.report,
          ledgerPath: flags.ledger,
          redisUrl: flags.redis,
          dbUrl: flags.db,
          prefix: flags.prefix,
          templateIds: templateIds.length ? templateIds : undefined,
          stocks,
          drainTimeoutMs: flags.drainTimeout,
          ...foreignFlagsOf(flags),
          reportsDir: flags.reportsDir,
          ...(flags.strict ? { strict: true } : {}),
        });
        if (flags.junit !== undefined) {
          const [{ writeJUnit }, { verdictSuite }] = await Promise.all([import('../report/junit-write.js'), import('../report/junit-suites.js')]);
          await writeJUnit(flags.junit, [verdictSuite(verdict)]);
        }
        const color = colorEnabled(process.stdout);
        process.stdout.write(flags.json ? `${JSON.stringify(verdict, null, 2)}\n` : `${formatVerdict(verdict, { color })}\n`);
        return verdict.exitCode;
      }),
    );
}
