// Types of relay/build.mjs for the TypeScript callers (tests, benchmarks).
/** Absolute path of the compiled entry point, `relay/dist/main.js`. */
export declare const relayEntryPoint: string;
/** Builds the relay unless the output matches the current sources; resolves to whether it built. */
export declare function buildRelay(options?: { force?: boolean }): Promise<boolean>;
