/**
 * actions/setup-node, played: the project's own Node (its devDependencies'
 * `node`, what every npm script here runs on) goes first on PATH. A workflow
 * that asks for another major is refused with both versions named: the
 * rehearsal has one Node. `cache: npm` keeps npm's own cache, as on a
 * machine that already has it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { nodeTool } from "../sandbox.ts";
import type { PlayedAction } from "./action.ts";

/** The major a version spec asks for: `24`, `24.x`, `>=24`, `v24.1.0`; lts/* and latest mean this Node. */
function majorOf(spec: string): number | undefined {
  if (/^(lts\/\*|latest|node|current)$/i.test(spec.trim())) return Number(process.versions.node.split(".")[0]);
  const major = /(\d+)/.exec(spec)?.[1];
  return major === undefined ? undefined : Number(major);
}

/** A version file's spec: `.nvmrc`, `.node-version`, or package.json's engines.node. */
function specFromFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, "utf8");
  if (!path.endsWith(".json")) return text.trim().split("\n")[0];
  const engines = (JSON.parse(text) as { engines?: { node?: string } }).engines;
  return engines?.node;
}

export const setupNode: PlayedAction = {
  repository: "actions/setup-node",
  majors: ["v4", "v5", "v6"],
  inputs: {
    "node-version": "",
    "node-version-file": "",
    architecture: "",
    "check-latest": "false",
    "registry-url": "",
    scope: "",
    token: "",
    cache: "",
    "package-manager-cache": "true",
    "cache-dependency-path": "",
    "always-auth": "false",
    mirror: "",
    "mirror-token": "",
  },
  async main({ inputs, log, workspace, addPath, toolsDir, exec }) {
    const ours = process.versions.node;
    const file = inputs["node-version-file"] ?? "";
    const spec = inputs["node-version"] || (file ? specFromFile(join(workspace, file)) : undefined);
    if (file && spec === undefined) {
      log.error(`The specified node version file at: ${join(workspace, file)} does not exist`);
      return false;
    }
    if (spec !== undefined && spec !== "" && majorOf(spec) !== Number(ours.split(".")[0])) {
      log.error(
        `The rehearsal has one Node, the project's ${ours}; the workflow asks for ${spec}. Ask for node-version: ${ours.split(".")[0]}.`,
      );
      return false;
    }
    addPath(nodeTool(join(toolsDir, "node")));
    log.line(`Found in cache @ ${process.execPath} (the project's Node ${ours}, from its devDependencies)`);
    const npm = await exec("npm", ["--version"], { silent: true });
    log.line("Environment details");
    log.line(`  node: v${ours}`);
    log.line(`  npm: ${npm.stdout.trim()}`);
    if (inputs["cache"] !== "")
      log.line(`cache: ${inputs["cache"]}: npm's own cache on this machine is used; nothing is restored or saved.`);
    return true;
  },
};
