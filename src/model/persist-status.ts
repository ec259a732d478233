/** What the bundled server says about persistence, summed over the run's templates. */
export interface PersistStatus {
  /** coupons issued (Redis) */
  issued: number;
  /** rows in the database */
  persisted: number;
  /** issued but not yet persisted */
  lag: number;
}
