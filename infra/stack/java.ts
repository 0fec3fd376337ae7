import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

/** Major version of the `java` binary, or undefined when it does not run. */
function javaMajor(javaBin: string): number | undefined {
  const result = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return parseMajor(`${result.stdout}${result.stderr}`);
}

function parseMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

let cached: string | undefined;

/**
 * The `java` binary of a JDK 17: Cassandra 5.0 runs on 11 or 17 only, and Kafka 4 needs 17+,
 * so both use 17. Looks at CHAT4ALL_JAVA_HOME, JAVA_HOME, /usr/lib/jvm, then PATH.
 */
export function java17(): string {
  if (cached) return cached;
  const candidates = [process.env.CHAT4ALL_JAVA_HOME, process.env.JAVA_HOME]
    .filter((home): home is string => Boolean(home))
    .map((home) => path.join(home, 'bin', 'java'));
  if (fs.existsSync('/usr/lib/jvm')) {
    for (const entry of fs.readdirSync('/usr/lib/jvm').sort()) {
      if (entry.includes('17')) candidates.push(path.join('/usr/lib/jvm', entry, 'bin', 'java'));
    }
  }
  candidates.push('java');
  for (const candidate of candidates) {
    if (javaMajor(candidate) === 17) return (cached = candidate);
  }
  throw new Error('JDK 17 not found: install openjdk-17-jdk-headless (or set CHAT4ALL_JAVA_HOME to a JDK 17)');
}

/**
 * Copies the runtime dependencies that `pom` declares into `libDir` with Maven, once per pom content:
 * a marker holding the pom's hash makes later runs skip the resolution.
 */
export function resolveJars(pom: string, libDir: string, log: (line: string) => void): void {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(pom)).digest('hex').slice(0, 16);
  const marker = path.join(libDir, `.resolved-${hash}`);
  if (fs.existsSync(marker)) return;
  log(`resolving ${path.relative(ROOT, pom)} from Maven Central into ${path.relative(ROOT, libDir)}`);
  fs.rmSync(libDir, { recursive: true, force: true });
  fs.mkdirSync(libDir, { recursive: true });
  execFileSync(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libDir}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}
