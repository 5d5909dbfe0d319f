import path from "node:path";
import { defineConfig } from "vitest/config";

// Unit tests sit next to the code (lib/**, components/**, relay/src/**); integration tests that start real servers
// live in relay/test/ and tests/. Every server a test starts listens on port 0.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["lib/**/*.test.ts", "components/**/*.test.ts", "relay/src/**/*.test.ts", "relay/test/**/*.test.ts", "tests/**/*.test.ts"],
    exclude: ["node_modules/**", "e2e/**", ".next/**"],
    environment: "node",
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so timing-sensitive socket tests stay honest.
    maxWorkers: 2,
  },
});
