// Types of test-packages.js (plain JavaScript, so that `npm test` starts it without tsx).

export interface TestPackage {
  /** The Debian package, e.g. chromium. */
  readonly name: string;
  /** The file the tests run from it, e.g. /usr/bin/chromium: the package counts as present when it can be run. */
  readonly file: string;
}

export interface Machine {
  /** The packages whose file is not there. */
  readonly missing: readonly TestPackage[];
  /** Running as root. */
  readonly root: boolean;
  /** apt-get is on the PATH (a Debian-like machine). */
  readonly apt: boolean;
  /** sudo runs without asking for a password (`sudo -n true`). */
  readonly sudo: boolean;
}

export type Plan =
  | { readonly action: 'none' }
  | {
      readonly action: 'install';
      readonly packages: readonly string[];
      readonly commands: readonly string[][];
    }
  | { readonly action: 'stop'; readonly message: string };

export const TEST_PACKAGES: readonly TestPackage[];

export function planTestPackages(machine: Machine): Plan;
