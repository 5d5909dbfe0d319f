export * from "./codes";
export * from "./close-reasons";
export * from "./disconnects";
export * from "./frames";
export * from "./limits";
export * from "./internal-api";
export * from "./history";
