import { delay, isAlive } from '../../infra/stack/processes.js';

const stopped = new Set<number>();
// Whatever happens to the test (a failed assertion, Ctrl-C), a stalled service must not stay stopped.
process.on('exit', () => {
  for (const pid of stopped) signal(pid, 'SIGCONT');
});

/** The process group when the pid leads one (the stack's services do), else the process alone. */
function signal(pid: number, name: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(-pid, name);
  } catch {
    process.kill(pid, name);
  }
}

/**
 * A process stall, not a restart: SIGSTOP for `ms`, then SIGCONT. Its sockets stay open, so its peers see requests
 * that time out rather than connections that are refused or reset (a GC pause, a frozen VM, a debugger).
 */
export async function stallProcesses(pids: number[], ms: number): Promise<void> {
  if (pids.length === 0) throw new Error('nothing to stall');
  for (const pid of pids) {
    if (!isAlive(pid)) throw new Error(`process ${pid} is not running`);
    stopped.add(pid);
    signal(pid, 'SIGSTOP');
  }
  try {
    await delay(ms);
  } finally {
    for (const pid of pids) {
      signal(pid, 'SIGCONT');
      stopped.delete(pid);
    }
  }
}
