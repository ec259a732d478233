import { Prng, deriveSeed } from './prng.js';
import { createUserIdSource, type UserIdSource } from './user-ids.js';
import type { Scenario } from '../model/scenario.js';

/**
 * What one worker sends next: a template (weighted pick) and a user id. Worker `index` of `count`
 * has its own random streams, derived from the run's seed.
 */
export class IterationSource {
  templateId = 0;
  userId = 0;
  private readonly users: UserIdSource;
  private readonly rng: Prng;
  private readonly ids: number[];
  private readonly cumulative: number[];

  constructor(scenario: Scenario, seed: number, index: number, count: number) {
    this.users = createUserIdSource(scenario.users, seed, index, count);
    // A separate stream for the template pick keeps user ids identical whatever the template mix.
    this.rng = new Prng(deriveSeed(seed ^ 0x5bd1e995, index));
    this.ids = scenario.templates.map((t) => t.id);
    let sum = 0;
    this.cumulative = scenario.templates.map((t) => (sum += t.weight ?? 1));
    const total = sum;
    this.cumulative = this.cumulative.map((c) => c / total);
  }

  /** Advance to the next (templateId, userId). */
  next(): void {
    this.userId = this.users();
    if (this.ids.length === 1) {
      this.templateId = this.ids[0] as number;
      return;
    }
    const r = this.rng.next();
    let i = 0;
    while (i < this.cumulative.length - 1 && r >= (this.cumulative[i] as number)) i++;
    this.templateId = this.ids[i] as number;
  }
}
