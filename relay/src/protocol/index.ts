export * from "./codes";
export * from "./close-reasons";
export * from "./limits";
export * from "./internal-api";
