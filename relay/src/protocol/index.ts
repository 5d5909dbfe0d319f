export * from "./codes";
export * from "./limits";
export * from "./internal-api";
