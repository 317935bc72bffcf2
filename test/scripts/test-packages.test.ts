import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { planTestPackages, TEST_PACKAGES } from '../../scripts/test-packages.js';
import { CHROMIUM } from '../support/chromium.js';

const chromium = { name: 'chromium', file: '/usr/bin/chromium' };
const nginx = { name: 'nginx', file: '/usr/sbin/nginx' };
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];

describe('the Debian packages `npm test` provisions (scripts/test-packages.js)', () => {
  it('lists the browser the browser tests launch', () => {
    expect(TEST_PACKAGES).toContainEqual({ name: 'chromium', file: CHROMIUM });
  });

  it('does nothing when every package is there', () => {
    expect(planTestPackages({ missing: [], root: false, apt: false, sudo: false })).toEqual({
      action: 'none',
    });
  });

  it('installs only what is missing, with apt-get as root or through passwordless sudo', () => {
    expect(planTestPackages({ missing: [chromium, nginx], root: true, apt: true, sudo: false })).toEqual({
      action: 'install',
      packages: ['chromium', 'nginx'],
      commands: [
        [...APT, 'update'],
        [...APT, 'install', '-y', 'chromium', 'nginx'],
      ],
    });
    expect(planTestPackages({ missing: [nginx], root: false, apt: true, sudo: true })).toEqual({
      action: 'install',
      packages: ['nginx'],
      commands: [
        ['sudo', '-n', ...APT, 'update'],
        ['sudo', '-n', ...APT, 'install', '-y', 'nginx'],
      ],
    });
  });

  it('stops with one line saying what to install where it cannot install', () => {
    const noSudo = planTestPackages({ missing: [chromium, nginx], root: false, apt: true, sudo: false });
    expect(noSudo).toMatchObject({ action: 'stop' });
    const line = (noSudo as { message: string }).message;
    expect(line).not.toContain('\n');
    expect(line).toContain('sudo apt-get install -y chromium nginx');

    const notDebian = planTestPackages({ missing: [chromium], root: true, apt: false, sudo: false });
    expect(notDebian).toMatchObject({ action: 'stop' });
    expect((notDebian as { message: string }).message).not.toContain('\n');
    expect((notDebian as { message: string }).message).toContain('chromium (/usr/bin/chromium)');
  });

  it('says nothing and succeeds on a machine that has them all (this one: the suite runs its browser)', () => {
    const run = spawnSync(process.execPath, ['scripts/test-packages.js'], { encoding: 'utf8' });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });
});
