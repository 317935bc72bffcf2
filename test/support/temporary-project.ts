import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs npm in `cwd`, bounded in time; resolves with what it printed on stdout. */
async function npm(args: readonly string[], cwd: string, timeoutMs: number): Promise<string> {
  // Without the npm_* variables of an enclosing `npm test`: npm_config_local_prefix would point npm at
  // the repository instead of `cwd`.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd,
    env,
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly bin?: Readonly<Record<string, string>>;
}

export interface PackedPackage {
  readonly tarball: string;
  readonly manifest: PackageManifest;
  /** The paths of the files in the tarball, as `npm pack` lists them. */
  readonly files: readonly string[];
}

/** A temporary directory outside the repository, removed when the test file ends. */
export function temporaryDirectory(prefix: string): string {
  // realpath: on some systems the temp dir is a symlink, and Node reports modules by their real path.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * `npm pack` of the package in `directory` (relative to the repository) into `destination`, as it would be
 * published, its `files` list applied, but without its lifecycle scripts: Vitest's global set-up built
 * it, and the gateway's prepack (a clean build) would take dist/ away from the test files running it.
 */
export async function npmPack(directory: string, destination: string): Promise<PackedPackage> {
  const out = await npm(
    ['pack', `./${directory}`, '--pack-destination', destination, '--json', '--ignore-scripts'],
    ROOT,
    120_000,
  );
  const [packed] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!packed) throw new Error(`npm pack ${directory} listed nothing`);
  const manifest = JSON.parse(readFileSync(join(ROOT, directory, 'package.json'), 'utf8')) as PackageManifest;
  return {
    tarball: join(destination, packed.filename),
    manifest,
    files: packed.files.map((file) => file.path),
  };
}

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [key: string]: unknown;
}

/** Where Node would find `name` from the package at `from` ('' is the project): the lock's path for it. */
function locate(packages: Record<string, LockEntry>, name: string, from: string): string | undefined {
  for (let base = from; ; ) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/**
 * The entries of our package-lock.json that `dependencies` need, transitively (with required peers and
 * the optional dependencies our lock has), at the same paths: our tree is what npm resolved for them.
 */
function lockEntriesFor(dependencies: Readonly<Record<string, string>>, from: string) {
  const ours = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const entries: Record<string, LockEntry> = {};
  const visit = (names: readonly string[], at: string) => {
    for (const name of names) {
      const path = locate(ours.packages, name, at);
      if (path === undefined)
        throw new Error(`${name} (needed from ${at || 'the project'}) is not in package-lock.json`);
      if (entries[path]) continue;
      const { dev, devOptional, peer, ...entry } = ours.packages[path] as LockEntry;
      entries[path] = entry;
      const optional = Object.keys(entry.optionalDependencies ?? {}).filter((dep) =>
        locate(ours.packages, dep, path),
      );
      const peers = Object.keys(entry.peerDependencies ?? {}).filter(
        (dep) => !entry.peerDependenciesMeta?.[dep]?.optional,
      );
      visit([...Object.keys(entry.dependencies ?? {}), ...optional, ...peers], path);
    }
  };
  visit(Object.keys(dependencies), from);
  return entries;
}

/**
 * A new npm project in the system's temporary directory (outside the repository, so nothing resolves from
 * the repository's node_modules), with the packed `tarballs` and the named `packages` installed as a user
 * would get them, from npm's local cache and without asking the registry: the versions our
 * package-lock.json has are written into the project's own lock file, and `npm ci --offline` installs
 * them, the same way every time. `ignoreScripts` skips install scripts (a native build). Removed when the
 * test file ends.
 */
export async function installTemporaryProject(options: {
  readonly tarballs: readonly PackedPackage[];
  readonly packages?: readonly string[];
  readonly ignoreScripts?: boolean;
}): Promise<string> {
  const dir = temporaryDirectory('tidings-consumer-');
  const dependencies: Record<string, string> = {};
  const packages: Record<string, LockEntry> = {};
  for (const { tarball, manifest } of options.tarballs) {
    dependencies[manifest.name] = `file:${tarball}`;
    const path = `node_modules/${manifest.name}`;
    packages[path] = {
      version: manifest.version,
      resolved: `file:${tarball}`,
      ...(manifest.dependencies ? { dependencies: { ...manifest.dependencies } } : {}),
      // npm ci links node_modules/.bin from the lock file's entries.
      ...(manifest.bin ? { bin: { ...manifest.bin } } : {}),
    };
    Object.assign(packages, lockEntriesFor(manifest.dependencies ?? {}, path));
  }
  const named = lockEntriesFor(Object.fromEntries((options.packages ?? []).map((name) => [name, '*'])), '');
  Object.assign(packages, named);
  for (const name of options.packages ?? [])
    dependencies[name] = named[`node_modules/${name}`]?.version as string;
  const manifest = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const root = { name: manifest.name, version: manifest.version, dependencies };
  const lock = {
    name: root.name,
    version: root.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': root, ...packages },
  };
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  await npm(['ci', '--offline', ...(options.ignoreScripts ? ['--ignore-scripts'] : [])], dir, 300_000);
  return dir;
}
