import { createEmbeddedIssuer, type EmbeddedIssuer } from '../auth/embedded-issuer.js';
import { hasSigningKey, loadOrCreateSigningKey } from '../auth/signing-key.js';
import type { Config } from '../config/config.js';
import { UsageError } from './cli-context.js';

/**
 * The embedded issuer of the gateway whose data directory the configuration names, to mint tokens it
 * accepts. Never creates a key: one the gateway does not know would only sign tokens it refuses.
 * @throws UsageError (exit code 2) when the data directory holds no signing key.
 */
export async function gatewayIssuer(config: Config): Promise<EmbeddedIssuer> {
  if (!hasSigningKey(config.dataDir)) {
    throw new UsageError(
      `No signing key in ${config.dataDir}: start the gateway with this data directory first, or pass the one it uses (--data-dir or TIDINGS_DATA_DIR).`,
    );
  }
  return createEmbeddedIssuer({
    key: await loadOrCreateSigningKey(config.dataDir),
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
}
