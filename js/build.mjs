// `npm run build`: bundle every entry of js/bundles.json (the one list of bundles, which
// hatch_build.py reads too) with esbuild into its outdir, keeping each entry's file name.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { outdir, entries } = JSON.parse(readFileSync(join(root, "js", "bundles.json"), "utf8"));

await build({
  entryPoints: entries.map((name) => join(root, "js", name)),
  outbase: join(root, "js"),
  outdir: join(root, outdir),
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  logLevel: "info",
});
