/**
 * Like Promise.all(items.map(work)), with at most `limit` calls of `work` running at once; results keep the order of
 * `items`. A batch of 100 records then sends Cassandra a few dozen requests at a time, not 100 at once per batch
 * (a backlog drains through six partitions in parallel, and the API's own requests wait behind such bursts).
 */
export async function mapWithLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** How many Cassandra requests one batch of a Kafka-triggered function has in flight at most. */
export const BATCH_CONCURRENCY = 16;
