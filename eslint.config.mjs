import js from "@eslint/js";
import tseslint from "typescript-eslint";
import boundedSchema from "./eslint-rules/bounded-schema.mjs";

/** How a handler could read a request body past the cap: only lib/http/read-capped-body.ts may. */
const RAW_BODY_READS = ["req", "request"].flatMap((object) =>
  ["json", "text", "arrayBuffer", "formData", "blob", "body"].map((property) => ({
    object,
    property,
    message: "Read request bodies with readJson / readOptionalJson (lib/http/with-session.ts) or readCappedJson: they stop at the size cap",
  })),
);

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      ".data/**",
      "lib/generated/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
      "relay/dist/**",
      "server/dist/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        fetch: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
    },
  },
  {
    // Request schemas build strings with text() (lib/validation/text.ts), which refuses NUL and lone
    // surrogates; a bare z.string() would let them reach PostgreSQL and answer 500.
    files: ["lib/**/*.ts", "app/**/*.ts"],
    ignores: ["lib/env.ts", "lib/validation/text.ts", "**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.object.name='z'][callee.property.name='string']",
          message: "Use text() from @/lib/validation/text: it refuses NUL and lone surrogates",
        },
      ],
    },
  },
  {
    // Every string and array a request schema accepts has a maximum (eslint-rules/bounded-schema.mjs).
    files: ["lib/**/*.ts", "app/**/*.ts"],
    ignores: ["lib/env.ts", "lib/validation/text.ts", "**/*.test.ts"],
    plugins: { tollgate: { rules: { "bounded-schema": boundedSchema } } },
    rules: { "tollgate/bounded-schema": "error" },
  },
  {
    // Request bodies are read under a size cap (413), never with req.json() / req.text().
    files: ["lib/**/*.ts", "app/**/*.ts"],
    ignores: ["lib/http/read-capped-body.ts", "**/*.test.ts"],
    rules: { "no-restricted-properties": ["error", ...RAW_BODY_READS] },
  },
);
