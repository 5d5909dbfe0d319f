// Compiles a TypeScript entry point to one plain ES module with esbuild: the repository's own sources
// bundled, npm dependencies left external (loaded from node_modules), so `node <outfile>` runs it in
// one process with no transpiler. Rebuilds only when an input changed: esbuild's list of the files it
// bundled is kept beside the output with a hash of them, so exactly those files (and the lockfile) decide.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Our own sources (`@/…` paths, the `@tollgate/relay` workspace) are bundled; every other package stays external. */
const externalNpmPackages = {
  name: "external-npm-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@/") || args.path.startsWith("@tollgate/") ? undefined : { path: args.path, external: true }));
  },
};
/** Besides the bundled files: the lockfile, this bundler, and the tsconfigs whose paths resolve imports. */
const ALWAYS_HASHED = [path.join(repoRoot, "package-lock.json"), fileURLToPath(import.meta.url), path.join(repoRoot, "tsconfig.json"), path.join(repoRoot, "relay", "tsconfig.json")];

/** A hash of `files`, or null when one of them is gone (a source was moved: build again). */
function hashOf(files) {
  const hash = createHash("sha256");
  for (const file of [...files, ...ALWAYS_HASHED]) {
    if (!existsSync(file)) return null;
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest("hex");
}

function isCurrent(outfile, stampFile) {
  if (!existsSync(outfile) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, "utf8"));
    return Array.isArray(stamp.inputs) && hashOf(stamp.inputs) === stamp.hash;
  } catch {
    return false;
  }
}

/**
 * Builds `entryPoint` into `outfile` unless the output matches the current inputs; resolves to whether
 * it built. `extraInputs` are files the output depends on that esbuild does not read as sources.
 */
export async function bundleWhenChanged({ entryPoint, outfile, extraInputs = [], force = false }) {
  const stampFile = `${outfile}.inputs.json`;
  if (!force && isCurrent(outfile, stampFile)) return false;
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    plugins: [externalNpmPackages],
    sourcemap: true,
    logLevel: "warning",
    metafile: true,
    write: false,
  });
  // Parallel launchers (test files) may build at once: each file is replaced whole, never half-written.
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  const inputs = [...Object.keys(result.metafile.inputs).map((input) => path.resolve(repoRoot, input)), ...extraInputs].sort();
  const stampTemporary = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(stampTemporary, JSON.stringify({ inputs, hash: hashOf(inputs) }));
  renameSync(stampTemporary, stampFile);
  return true;
}
