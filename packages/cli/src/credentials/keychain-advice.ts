import type { KeychainFailure } from './keychain-store.js';

/**
 * What to do when the OS keychain cannot be used, for that cause and this platform. Keeping the
 * file store is always a valid choice, so every fix also says how to choose it explicitly.
 */
export function keychainFix(failure: KeychainFailure, platform: NodeJS.Platform = process.platform): string {
  const keep = 'or set CONDUIT_CREDENTIAL_STORE=file to choose the file store';
  if (failure === 'module') {
    if (platform === 'linux') {
      return `install libsecret (libsecret-1-0 on Debian and Ubuntu, libsecret on Fedora and Arch) and reinstall conduit-mcp, whose optional keychain module keytar needs it; ${keep}.`;
    }
    return `reinstall conduit-mcp: its optional keychain module keytar did not install; ${keep}.`;
  }
  if (platform === 'linux') {
    return `run a Secret Service keyring (gnome-keyring or KWallet) in your D-Bus session and unlock it; ${keep}.`;
  }
  return `unlock the OS keychain for this user; ${keep}.`;
}
