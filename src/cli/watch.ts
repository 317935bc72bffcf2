import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import {
  type ClientStatus,
  type CursorStore,
  createDeviceSubscription,
  createMemoryCursorStore,
  createTidingsClient,
  type DeviceSubscription,
  type FetchLike,
  type GatewayAccess,
  listDeviceSubscriptions,
  type TokenProvider,
} from '../client/index.js';
import { loadConfig } from '../config/config.js';
import { oneOf } from '../config/kinds.js';
import type { CommandOptions, ParsedArguments } from './arguments.js';
import { type CliContext, CommandFailure, UsageError } from './cli-context.js';
import { defaultEndpoint, graphqlEndpoint } from './gateway-url.js';
import { cursorFileStore, readCursorFile, writeCursorFile } from './watch-cursor-file.js';
import { failure, REQUEST_TIMEOUT_MS, refusals } from './watch-failures.js';
import { updateLines } from './watch-output.js';

export const WATCH_HELP = `tidings watch (--token TOKEN | --token-file FILE) (--unsid UNSID | --create-device LABEL [--platform P])
              [--after CURSOR | --cursor-file FILE] [--url URL] [--json]

Follows a device's feed live, as a client app does, and prints each change as it arrives, one line
each: its kind, the notification's appNotificationId, what the device shows (title: body, or raw
content), its state where that changed, and the change's cursor. It reconnects by itself, resuming after
the last change it printed (the client library's reconnects, RESYNC and token renewal), and runs until
Ctrl-C (exit code 0).

  --token TOKEN         a user token (e.g. from tidings token user <id> --app <client id>)
  --token-file FILE     read the user token from FILE, again whenever the gateway refuses it: put a
                        fresh one there and the watch carries on
  --unsid UNSID         the device subscription to follow (the web inbox shows its own)
  --create-device LABEL create a device subscription with this label, and print its UNSID on stderr;
                        with a cursor file that already names a device, that one is followed instead
  --platform P          its platform: WEB (default), WINDOWS, ANDROID or IOS
  --after CURSOR        print the changes after CURSOR first (a cursor it printed earlier)
  --cursor-file FILE    keep the device and the position in FILE: a later watch with the same file
                        follows the same device and prints what came meanwhile, nothing twice (a
                        change printed just as the watch was killed may come again: apply by id)
  --url URL             the gateway, e.g. http://127.0.0.1:4000 (default: http://HOST:PORT of the
                        environment)
  --json                one JSON object per line instead (JSON Lines): the client library's updates,
                        {"type":"change","kind","cursor","notification"}, {"type":"removed","kind",
                        "cursor","id"} for a change of a notification not for this device, and
                        {"type":"snapshot","reason","notifications"} when the feed is (re)loaded

Without --after or a position in the cursor file, it starts by listing the device's feed (LISTED lines,
oldest first), as after a RESYNC. Messages about the connection go to stderr.
Exit codes: 0 stopped (Ctrl-C, SIGTERM); 2 a mistake in the command, or a token, UNSID or cursor the
gateway refuses; 1 the gateway cannot be reached at start, or the feed ended (the device subscription
was deleted).`;

export const WATCH_OPTIONS: CommandOptions = {
  values: ['token', 'token-file', 'unsid', 'create-device', 'platform', 'after', 'cursor-file', 'url'],
  switches: ['json'],
};

const PLATFORM = oneOf(['WEB', 'WINDOWS', 'ANDROID', 'IOS'] as const);

export async function watch(args: ParsedArguments, cli: CliContext): Promise<void> {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `watch takes no ${JSON.stringify(args.positionals[0])} (see: tidings watch --help).`,
    );
  }
  const token = tokenProvider(args);
  const cursorFile = args.value('cursor-file');
  const after = args.value('after');
  if (cursorFile !== undefined && after !== undefined) {
    throw new UsageError('give --after or --cursor-file, not both (see: tidings watch --help).');
  }
  const label = args.value('create-device');
  const unsid = args.value('unsid');
  if (label !== undefined && unsid !== undefined) {
    throw new UsageError('give --unsid or --create-device, not both (see: tidings watch --help).');
  }
  const rawPlatform = args.value('platform');
  if (rawPlatform !== undefined && label === undefined) {
    throw new UsageError('--platform is for --create-device: the platform of the device it creates.');
  }
  const platform = PLATFORM.parse(rawPlatform ?? 'WEB');
  if (!platform) {
    throw new UsageError(`--platform must be ${PLATFORM.accepts} (got ${JSON.stringify(rawPlatform)}).`);
  }
  const saved = cursorFile === undefined ? null : readCursorFile(cursorFile);
  if (unsid === undefined && label === undefined && saved === null) {
    throw new UsageError(
      'watch needs --unsid UNSID, or --create-device LABEL to make a device (see: tidings watch --help).',
    );
  }
  if (unsid !== undefined && saved !== null && saved.unsid !== unsid) {
    throw new UsageError(
      `${cursorFile} keeps the position of device ${saved.unsid}, not ${unsid}: give another --cursor-file.`,
    );
  }
  const explicitUrl = args.value('url');
  const url = (
    explicitUrl === undefined ? defaultEndpoint(loadConfig(cli.env)) : graphqlEndpoint(explicitUrl)
  ).toString();
  const access: GatewayAccess = { url, token, fetch: boundedFetch(cli.shutdown) };

  const device = await refusals(url, cli.shutdown, async () => {
    if (saved !== null) {
      const hint = `it is named in ${cursorFile}: delete that file, or give another --cursor-file, to make a new one with --create-device LABEL`;
      return findDevice(access, saved.unsid, hint);
    }
    if (unsid !== undefined) return findDevice(access, unsid, 'make one with --create-device LABEL');
    const created = await createDeviceSubscription(access, { platform, deviceLabel: label as string });
    if (cursorFile !== undefined) writeCursorFile(cursorFile, { unsid: created.id, position: null });
    cli.stderr(
      `Created device subscription ${created.id} (${created.platform}, ${JSON.stringify(created.deviceLabel)}).\n`,
    );
    return created;
  });
  // Ctrl-C while the first requests were under way.
  if (device === null) return;
  if (saved !== null) cli.stderr(`Following device ${device.id} from ${cursorFile}.\n`);

  const cursorStore: CursorStore =
    cursorFile === undefined
      ? createMemoryCursorStore(after ?? null)
      : cursorFileStore(cursorFile, device.id, saved?.position ?? null);
  await follow(cli, { url, token, access, device, cursorStore, json: args.switched('json') });
}

interface Following {
  readonly url: string;
  readonly token: TokenProvider;
  readonly access: GatewayAccess;
  readonly device: DeviceSubscription;
  readonly cursorStore: CursorStore;
  readonly json: boolean;
}

/** Runs the client until Ctrl-C or the end of the feed. */
async function follow(cli: CliContext, following: Following): Promise<void> {
  const { device } = following;
  let ended: (status: ClientStatus) => void = () => {};
  const final = new Promise<ClientStatus>((resolve) => {
    ended = resolve;
  });
  let wasLive = false;
  const client = createTidingsClient({
    url: following.url,
    token: following.token,
    deviceSubscriptionId: device.id,
    cursorStore: following.cursorStore,
    webSocketImpl: WebSocket,
    fetch: following.access.fetch as FetchLike,
    onUpdate(update) {
      if (update.type === 'snapshot' && !following.json) {
        const count = update.notifications.length;
        cli.stderr(
          update.reason === 'resync'
            ? `The gateway could not resume from the cursor (RESYNC): reloaded the feed, ${count} notification(s).\n`
            : `The feed holds ${count} notification(s) for this device${count > 0 ? ', listed oldest first' : ''}.\n`,
        );
      }
      for (const line of updateLines(update, device.platform, following.json)) cli.stdout(`${line}\n`);
    },
    onStatus(status) {
      if (status.state === 'live') {
        cli.stderr(
          wasLive
            ? 'Live again.\n'
            : `Watching device ${device.id} live at ${following.url}; Ctrl-C stops.\n`,
        );
        wasLive = true;
      } else if (status.state === 'reconnecting') {
        const code = status.closeCode === null ? '' : ` (close code ${status.closeCode})`;
        cli.stderr(`Connection lost${code}; reconnecting…\n`);
      } else if (status.state === 'ended' || status.state === 'failed') {
        ended(status);
      }
    },
    onError: (error) => cli.stderr(`tidings: ${(error as Error).message ?? String(error)}\n`),
  });
  const stopped = new Promise<null>((resolve) => {
    if (cli.shutdown.aborted) resolve(null);
    cli.shutdown.addEventListener('abort', () => resolve(null), { once: true });
  });
  const outcome = await Promise.race([final, stopped]);
  await client.close();
  if (outcome === null) return;
  if (outcome.state === 'ended') {
    throw new CommandFailure(
      `The device subscription ${device.id} was deleted: its feed has ended. Follow another, or make one with --create-device.`,
    );
  }
  if (outcome.state === 'failed') throw failure(outcome.error, following.url, device.id);
}

/** The token as given, or read from its file on every connection and request. */
function tokenProvider(args: ParsedArguments): TokenProvider {
  const token = args.value('token');
  const file = args.value('token-file');
  if (token !== undefined && file !== undefined) {
    throw new UsageError('give --token or --token-file, not both (see: tidings watch --help).');
  }
  if (token !== undefined) {
    if (token.trim() === '') throw new UsageError('--token is empty.');
    return () => token.trim();
  }
  if (file === undefined) {
    throw new UsageError(
      'watch needs a user token: --token TOKEN or --token-file FILE (see: tidings token user --help).',
    );
  }
  const read = () => readFileSync(file, 'utf8').trim();
  try {
    read();
  } catch (error) {
    throw new UsageError(`cannot read --token-file ${file} (${(error as NodeJS.ErrnoException).code}).`);
  }
  return read;
}

/**
 * The device `unsid` of the token's user and app.
 * @throws UsageError when it is not theirs, or has expired, ending with `hint`.
 */
async function findDevice(access: GatewayAccess, unsid: string, hint: string): Promise<DeviceSubscription> {
  const device = (await listDeviceSubscriptions(access)).find((candidate) => candidate.id === unsid);
  if (!device || Date.parse(device.expirationDateTime) <= Date.now()) {
    throw new UsageError(
      `No device subscription ${unsid} for this token's user and app, or it has expired: ${hint}.`,
    );
  }
  return device;
}

/** fetch, bounded in time and ended by Ctrl-C. */
function boundedFetch(shutdown: AbortSignal): FetchLike {
  return (url, init) =>
    fetch(url, { ...init, signal: AbortSignal.any([shutdown, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
}
