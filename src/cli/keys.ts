import { join } from 'node:path';
import { type KeyFile, listSigningKeys, rotateSigningKey, stageSigningKey } from '../auth/key-rotation.js';
import { hasSigningKey } from '../auth/signing-key.js';
import { loadConfig } from '../config/config.js';
import { SETTINGS } from '../config/settings.js';
import { noPositionals } from './apps.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, UsageError } from './cli-context.js';

const DATA_DIR_HELP = `
--data-dir DIR (default ./data, or TIDINGS_DATA_DIR) is where the keys are. Gateways read them when they
start: restart every process after a change.`;

export const KEYS_LIST_HELP = `tidings keys list [--data-dir DIR]

Lists the embedded issuer's keys: the signing key (signing-key.json), the previous one still verified
during a rotation (signing-key.previous.json) and a staged next one (signing-key.next.json), by key id.
${DATA_DIR_HELP}`;

export const KEYS_STAGE_HELP = `tidings keys stage [--data-dir DIR]

Several processes: creates the next signing key (signing-key.next.json), which gateways verify but do
not sign with. Restart every process, then run tidings keys rotate, so that no process refuses tokens
signed by one that was restarted before it. One process needs no stage: rotate is enough.
${DATA_DIR_HELP}`;

export const KEYS_ROTATE_HELP = `tidings keys rotate [--data-dir DIR]

Makes the staged next key (or a new one) the signing key, and the signing key the previous one, which
gateways keep verifying (tokens it signed stay valid until they expire). Restart every process. After
the longest token lifetime, delete signing-key.previous.json and restart to stop accepting it.
${DATA_DIR_HELP}`;

export const KEYS_HELP = `tidings keys list
tidings keys stage
tidings keys rotate

Shows and rotates the embedded issuer's signing key (README: Secrets and keys).
Run tidings keys <list|stage|rotate> --help for each one.
${DATA_DIR_HELP}`;

export const KEYS_OPTIONS: CommandOptions = { settings: [SETTINGS.dataDir] };

/** The data directory, which must hold a signing key. @throws UsageError when it holds none. */
function keysDir(args: ParsedArguments, cli: CliContext, command: string): string {
  noPositionals(args, command);
  const { dataDir } = loadConfig(cli.env, {}, args.settings);
  if (!hasSigningKey(dataDir)) {
    throw new UsageError(
      `no signing key in ${dataDir} (a gateway creates ${join(dataDir, 'signing-key.json')} on its first start).`,
    );
  }
  return dataDir;
}

const line = (key: KeyFile, what: string) =>
  `${key.role.padEnd(8)}  ${key.kid}  ${key.file.padEnd(25)}  ${what}`;

const WHAT: Readonly<Record<KeyFile['role'], string>> = {
  active: 'signs and verifies',
  previous: 'verifies only: tokens signed before the last rotation',
  next: 'verifies only: signs after the next rotation',
};

export async function listKeys(args: ParsedArguments, cli: CliContext): Promise<void> {
  const keys = await listSigningKeys(keysDir(args, cli, 'keys list'));
  cli.stdout(`${keys.map((key) => line(key, WHAT[key.role])).join('\n')}\n`);
}

export async function stageKey(args: ParsedArguments, cli: CliContext): Promise<void> {
  const next = await stageSigningKey(keysDir(args, cli, 'keys stage'));
  cli.stdout(`${line(next, WHAT.next)}
Restart every gateway process, so that each verifies it; then run tidings keys rotate.
`);
}

export async function rotateKey(args: ParsedArguments, cli: CliContext): Promise<void> {
  const { active, previous, dropped } = await rotateSigningKey(keysDir(args, cli, 'keys rotate'));
  cli.stdout(`${line(active, WHAT.active)}
${line(previous, WHAT.previous)}
${dropped ? `The key before it (${dropped.kid}) is no longer verified once processes restart.\n` : ''}Restart every gateway process. After the longest token lifetime (TIDINGS_APP_TOKEN_TTL for app tokens),
delete ${previous.file} and restart again, to stop accepting the previous key.
`);
}
