import { execFileSync } from 'node:child_process';

function onPath(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let updated = false;

/**
 * Makes sure `binary` exists, installing the Debian `pkg` with apt-get when running as root.
 * Prometheus and the Pushgateway come from Debian's packages (no other download is possible here).
 */
export function ensureDebianPackage(binary: string, pkg: string, log: (line: string) => void): void {
  if (onPath(binary)) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new Error(
      `${binary} not found: install the Debian package "${pkg}" (sudo apt-get install -y ${pkg}), or use STACK=compose`,
    );
  }
  log(`installing ${pkg} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    updated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
}
