import { KEYCHAIN_MODULE, type KeychainFailure } from './keychain-store.js';

/**
 * What to do when the OS keychain cannot be used, for that cause and this platform. Keeping the
 * file store is always a valid choice, so every fix also says how to choose it explicitly.
 */
export function keychainFix(failure: KeychainFailure, platform: NodeJS.Platform = process.platform): string {
  const keep = 'or set CONDUIT_CREDENTIAL_STORE=file to choose the file store';
  if (failure === 'module') {
    // The module is prebuilt and self-contained (no libsecret, no compiler): only an install that
    // left optional dependencies out, or a broken one, lacks it.
    return `reinstall conduit-mcp with its optional dependencies (not --omit=optional), which bring the keychain module ${KEYCHAIN_MODULE}; ${keep}.`;
  }
  if (failure === 'platform') {
    return `run conduit-mcp on a platform ${KEYCHAIN_MODULE} publishes a binary for (macOS, Windows, Linux on x64, arm64, armv7 or riscv64, FreeBSD x64); ${keep}.`;
  }
  if (platform === 'linux') {
    return `run a Secret Service keyring (gnome-keyring or KWallet) in your D-Bus session and unlock it; ${keep}.`;
  }
  return `unlock the OS keychain for this user; ${keep}.`;
}
