// Types for scripts/test-services.mjs, which the TypeScript test suites import.
export type ServiceName = 'chromium' | 'postgres' | 'redis' | 'keychain';

export interface ServiceStatus {
  name: ServiceName;
  available: boolean;
  /** chromium: the browser; postgres: the bin directory; redis: redis-server; keychain: gnome-keyring-daemon. */
  path?: string;
  /** e.g. the browser's version line. */
  detail?: string;
  /** One line: what is missing and how to install it (when not available). */
  missing?: string;
}

export declare const INSTALL: Record<ServiceName, string>;
export declare const SERVICE_NAMES: readonly ServiceName[];
export declare function servicesRequired(): boolean;
export declare function onPath(name: string): string | undefined;
export declare function serviceStatus(name: ServiceName, options?: { inSession?: boolean }): ServiceStatus;
export declare function useService(name: ServiceName, testFile: string): ServiceStatus;
