import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { serviceDir } from '../../infra/stack/paths.js';

/** The logs of the API and its functions this run wrote: npm test's, and the one a restarted API appends to. */
const apiLogs = (): string[] =>
  [process.env.CHAT4ALL_API_LOG, serviceDir('api', 'restarted.log')].filter(
    (file): file is string => file !== undefined && fs.existsSync(file),
  );

/**
 * The server's log lines about some messages (the last `perMessage` of each, newest last), so that a message the
 * fault suite finds lost can be explained from the test's own output: CI keeps that output, not the logs.
 */
export function serverLinesAbout(messageIds: string[], perMessage = 12): string {
  const files = apiLogs();
  if (files.length === 0 || messageIds.length === 0) return '';
  return messageIds
    .map((id) => {
      let lines: string[] = [];
      try {
        lines = execFileSync('grep', ['-h', '-F', id, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
          .split('\n')
          .filter(Boolean);
      } catch {
        // grep exits 1 when nothing matches
      }
      const shown = lines.slice(-perMessage).map((line) => `#   ${line.slice(0, 400)}`);
      return [`# server log lines about ${id} (${lines.length} in all):`, ...shown].join('\n');
    })
    .join('\n');
}
