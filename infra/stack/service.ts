/** One native service of the stack: how to install it, start it and know it is really ready. */
export interface Service {
  name: string;
  /** What the status table shows under "where". */
  address: string;
  /** Ports the service listens on; the first one is probed before the readiness check. */
  ports: number[];
  /** Idempotent: downloads and configures what the service needs (fast when already done). */
  install(): Promise<void>;
  /** Spawns the process (with startDetached); called only when it is not running. */
  start(): Promise<void>;
  /** One real readiness check (a round trip, a query, a put and get); true when ready. */
  ready(): Promise<boolean>;
  /** How long a start may take before it counts as failed. */
  readyTimeoutMs: number;
  /** Ends what the service started in processes of their own, which outlive it (after it stopped or was killed). */
  reapOrphans?(): void;
}
