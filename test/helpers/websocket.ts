import WebSocket from 'ws';

export const WS_URL = process.env.WS_URL ?? 'ws://127.0.0.1:3001';

export interface Frame {
  type: string;
  [key: string]: unknown;
}

/** A WebSocket client that records every frame with its arrival time and can wait for one. */
export class TestSocket {
  readonly frames: { at: number; frame: Frame }[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push({ at: performance.now(), frame: JSON.parse(data.toString()) as Frame });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(token: string | undefined, { viaHeader = false } = {}): Promise<TestSocket> {
    const url = token && !viaHeader ? `${WS_URL}?token=${encodeURIComponent(token)}` : WS_URL;
    const socket = new WebSocket(url, viaHeader && token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestSocket(socket)));
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`handshake refused: ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Resolves with the first recorded frame matching `predicate` (waiting for it up to `timeoutMs`). */
  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<{ at: number; frame: Frame }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find((entry) => predicate(entry.frame));
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms (got ${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
