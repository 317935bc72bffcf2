// The Debian packages the tests run, installed where the machine allows it. `npm test` runs this first, so
// that the README's test command passes on a fresh machine by itself (CI's .ci/run runs `npm test` too);
// where it cannot install them, it stops at once with one line saying what to install. Quick when all is
// there: a file check per package, no apt-get. Plain JavaScript, so that it starts in a blink (no tsx).

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The Debian packages the tests need, each with the file they run from it. Add a line for a new one. */
export const TEST_PACKAGES = Object.freeze([
  // test/inbox and test/client/other-origin drive it with playwright-core
  Object.freeze({ name: 'chromium', file: '/usr/bin/chromium' }),
  // the reverse-proxy test: nginx in front of the gateway, with a certificate openssl makes
  Object.freeze({ name: 'nginx', file: '/usr/sbin/nginx' }),
  Object.freeze({ name: 'openssl', file: '/usr/bin/openssl' }),
]);

const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];

/** "chromium nginx openssl" */
const names = (packages) => packages.map((item) => item.name).join(' ');

/**
 * What to do about the packages the tests need, from what the machine has: nothing (all there), install
 * them with apt-get (as root, or through passwordless sudo), or stop with one line saying what to install.
 * @param {import('./test-packages.js').Machine} machine
 * @returns {import('./test-packages.js').Plan}
 */
export function planTestPackages(machine) {
  const { missing } = machine;
  if (missing.length === 0) return { action: 'none' };
  const list = names(missing);
  if (!machine.apt) {
    const files = missing.map((item) => `${item.name} (${item.file})`).join(', ');
    return {
      action: 'stop',
      message: `npm test needs Debian's packages ${files}, and this machine has no apt-get: install them, then run npm test again.`,
    };
  }
  const prefix = machine.root ? [] : machine.sudo ? ['sudo', '-n'] : undefined;
  if (prefix === undefined) {
    return {
      action: 'stop',
      message: `npm test needs Debian's packages ${list}: run "sudo apt-get update && sudo apt-get install -y ${list}", then npm test again.`,
    };
  }
  return {
    action: 'install',
    packages: missing.map((item) => item.name),
    commands: [
      [...prefix, ...APT, 'update'],
      [...prefix, ...APT, 'install', '-y', ...missing.map((item) => item.name)],
    ],
  };
}

/** Whether `file` exists and may be run. */
function runnable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `command` is on the PATH. */
const onPath = (command) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && runnable(join(dir, command)));

/** What this machine has, asking sudo only when it would be used. */
function inspect(packages) {
  const missing = packages.filter((item) => !runnable(item.file));
  const root = process.getuid?.() === 0;
  const apt = missing.length > 0 && onPath('apt-get');
  const sudo = apt && !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true']).status === 0;
  return { missing, root, apt, sudo };
}

/** Exits with one line on stderr. */
function stop(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function main() {
  const plan = planTestPackages(inspect(TEST_PACKAGES));
  if (plan.action === 'none') return;
  if (plan.action === 'stop') stop(plan.message);
  process.stderr.write(
    `npm test: installing Debian's packages ${plan.packages.join(' ')}, which the tests need\n`,
  );
  for (const [command, ...args] of plan.commands) {
    const { status, error } = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (status !== 0) {
      stop(
        `${[command, ...args].join(' ')} failed (${error?.message ?? `exit ${status}`}): install ${plan.packages.join(' ')} with apt-get, then run npm test again.`,
      );
    }
  }
  const still = inspect(TEST_PACKAGES).missing;
  if (still.length > 0) {
    stop(
      `apt-get installed ${names(still)}, but ${still.map((item) => item.file).join(', ')} is still missing: the tests run it from there.`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
