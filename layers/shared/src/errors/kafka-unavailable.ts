/** Kafka did not acknowledge a publish in time: the broker is away, not the record at fault. */
export class KafkaUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`kafka unavailable: ${(cause as Error).message}`);
    this.name = 'KafkaUnavailableError';
  }
}
