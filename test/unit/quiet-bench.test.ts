import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { descendants, parseStat, untrackedUsage, type ProcessSample } from '../../load/lib/cpu.js';

/** A /proc/<pid>/stat line with the fields the bench reads (the others zero). */
function statLine(pid: number, name: string, ppid: number, ticks: { self: number; children?: number; start?: number }) {
  const fields = Array.from({ length: 50 }, () => '0');
  fields[0] = 'S';
  fields[1] = String(ppid);
  fields[11] = String(ticks.self); // utime
  fields[12] = '0'; // stime
  fields[13] = String(ticks.children ?? 0); // cutime
  fields[19] = String(ticks.start ?? 1000);
  return `${pid} (${name}) ${fields.join(' ')}`;
}

const table = (...samples: ProcessSample[]) => new Map(samples.map((s) => [`${s.pid}:${s.start}`, s]));
const proc = (pid: number, ppid: number, self: number, children = 0, start = 1000): ProcessSample =>
  parseStat(statLine(pid, `p${pid}`, ppid, { self: self * 100, children: children * 100, start }))!;

describe('quiet bench: the CPU of processes other than the stack', () => {
  it('parses /proc/<pid>/stat, also a name with spaces and parentheses', () => {
    const sample = parseStat(statLine(42, 'node (main) x', 7, { self: 250, children: 50, start: 123 }));
    assert.deepEqual(sample, { pid: 42, name: 'node (main) x', ppid: 7, self: 2.5, children: 0.5, start: 123 });
  });

  it('tracks the stack’s processes and everything they started', () => {
    const processes = [proc(10, 1, 0), proc(11, 10, 0), proc(12, 11, 0), proc(20, 1, 0), proc(21, 20, 0)];
    assert.deepEqual([...descendants(processes, [10])].sort(), [10, 11, 12]);
  });

  it('counts what untracked processes used in between: new ones whole, reaped children once', () => {
    const before = table(proc(10, 1, 5), proc(20, 1, 1), proc(21, 20, 2), proc(30, 1, 3), proc(50, 1, 5));
    const now = table(
      proc(10, 1, 9), // the stack: not counted
      proc(20, 1, 1.5, 2.5), // reaped its child 21 (2 s seen before, 0.5 s since)
      proc(30, 1, 3), // idle
      proc(40, 1, 0.7), // started in between
      proc(50, 1, 0.2, 0, 2000), // a new process on a reused pid counts whole too
    );
    const usage = untrackedUsage(before, now, new Set([10]));
    const seconds = Object.fromEntries([...usage.values()].map(({ sample, cpu_s }) => [sample.pid, cpu_s]));
    assert.deepEqual(Object.keys(seconds).sort(), ['20', '40', '50']);
    assert.ok(Math.abs(seconds['20']! - 1) < 1e-9, `parent: own 0.5 + its child's last 0.5 (got ${seconds['20']})`);
    assert.ok(Math.abs(seconds['40']! - 0.7) < 1e-9);
    assert.ok(Math.abs(seconds['50']! - 0.2) < 1e-9, 'the new process, not the old one’s 5 s');
  });
});
