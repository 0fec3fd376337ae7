export interface CoalesceOptions<T> {
  /** What one item weighs (bytes, say); a joint send stays at or under maxWeight unless one caller alone is over. */
  weight?: (item: T) => number;
  maxWeight?: number;
}

/**
 * Joins the sends that callers start in the same turn of the event loop into one: a producer "linger" of 0 ms. Each
 * caller's promise settles with the joint send, so every caller still learns whether its own items were
 * acknowledged. Callers' items keep their order, and one caller's items are never split between two sends.
 */
export function coalesce<T>(
  send: (items: T[]) => Promise<void>,
  { weight = () => 1, maxWeight = 500 }: CoalesceOptions<T> = {},
): (items: T[]) => Promise<void> {
  let waiting: { items: T[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let waitingWeight = 0;

  const flush = () => {
    const taken = waiting;
    waiting = [];
    waitingWeight = 0;
    if (taken.length === 0) return;
    send(taken.flatMap(({ items }) => items)).then(
      () => taken.forEach(({ resolve }) => resolve()),
      (error: unknown) => taken.forEach(({ reject }) => reject(error)),
    );
  };

  return (items) =>
    new Promise<void>((resolve, reject) => {
      const itemsWeight = items.reduce((sum, item) => sum + weight(item), 0);
      if (waiting.length > 0 && waitingWeight + itemsWeight > maxWeight) flush();
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ items, resolve, reject });
      waitingWeight += itemsWeight;
    });
}
