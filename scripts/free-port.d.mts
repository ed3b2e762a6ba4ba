// Types for scripts/free-port.mjs, which the TypeScript test suites import.
export declare function freePort(): Promise<number>;
