/**
 * What this package's tests depend on outside the repository: the Python and the Azure CLI they find, and the
 * Python packages installed beside them. `npm test` writes it to `.tools.json` before turbo runs, and turbo
 * hashes that file with the tests (turbo.json), so their cached result stands until one of those tools changes.
 *
 * Cheap on purpose (a few `stat`s, no interpreter started: `az version` alone takes a second): an install, an
 * upgrade or a removal renames a package's `*.dist-info` folder or replaces an executable, and either changes
 * what is recorded here, the executables' size and time and the package folders' times.
 */
import { readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { onPath, pythonCandidates } from "./index.ts";

const FINGERPRINT_FILE = fileURLToPath(new URL("../.tools.json", import.meta.url));

/** The environment the tools are chosen by (see findPython and findAzureCli). */
const SETTINGS = ["KEYLESS_PYTHON", "KEYLESS_AZ", "KEYLESS_REQUIRE_CLIENTS"] as const;

function describe(path: string): string {
  try {
    const real = realpathSync(path);
    const { size, mtimeMs } = statSync(real);
    return `${real} ${size} ${Math.trunc(mtimeMs)}`;
  } catch {
    return "missing";
  }
}

/** The folders an interpreter installs packages into: `<prefix>/lib/python3*\/{site,dist}-packages`, `lib/python3/dist-packages`, `Lib/site-packages`. */
function packageFolders(interpreter: string): string[] {
  let prefix: string;
  try {
    prefix = dirname(dirname(realpathSync(interpreter)));
  } catch {
    return [];
  }
  const folders = [join(prefix, "Lib", "site-packages")];
  try {
    for (const version of readdirSync(join(prefix, "lib")).filter((name) => name.startsWith("python3")))
      folders.push(join(prefix, "lib", version, "site-packages"), join(prefix, "lib", version, "dist-packages"));
  } catch {
    // no lib folder
  }
  return folders;
}

function folderTime(path: string): string {
  try {
    return String(Math.trunc(statSync(path).mtimeMs));
  } catch {
    return "missing";
  }
}

export function toolFingerprint(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const pythons = pythonCandidates(env);
  const az = env["KEYLESS_AZ"] || onPath("az");
  const entries: [string, string][] = [
    ...SETTINGS.map((name): [string, string] => [`env ${name}`, env[name] ?? ""]),
    ...pythons.map((path): [string, string] => [`python ${path}`, describe(path)]),
    ...pythons.flatMap(packageFolders).map((folder): [string, string] => [`packages ${folder}`, folderTime(folder)]),
    ["az", az ? describe(az) : "missing"],
  ];
  return Object.fromEntries(entries);
}

/** Writes the fingerprint, only when it changed (turbo hashes its content; the file's time does not matter). */
export function writeToolFingerprint(file = FINGERPRINT_FILE): void {
  const text = `${JSON.stringify(toolFingerprint(), null, 2)}\n`;
  let before: string | undefined;
  try {
    before = readFileSync(file, "utf8");
  } catch {
    // first run
  }
  if (before !== text) writeFileSync(file, text);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) writeToolFingerprint();
