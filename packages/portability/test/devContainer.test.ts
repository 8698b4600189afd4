/**
 * The dev container (.devcontainer/devcontainer.json), which cannot be built here: read as VS Code
 * and Codespaces read it, checked against the Dev Container spec for the keys it uses, and against
 * CI: the same Debian packages and hosts line as .ci/run, and the README's install command.
 */
import { describe, expect, it } from "vitest";
import { codeBlockUnder, parseDevContainer, readRepoFile, specProblems } from "../src/index.ts";

const source = readRepoFile(".devcontainer/devcontainer.json");
const { config, errors } = parseDevContainer(source);
const ciRun = readRepoFile(".ci/run");

describe("the dev container (.devcontainer/devcontainer.json)", () => {
  it("is JSON with comments and no trailing comma, whose keys the Dev Container spec accepts", () => {
    expect(errors).toEqual([]);
    expect(specProblems(config)).toEqual([]);
  });

  it("(the check is real: a trailing comma, an unknown key or a port attribute outside the spec is refused)", () => {
    expect(parseDevContainer(source.replace(/\n}\s*$/, ",\n}\n")).errors).not.toEqual([]);
    expect(specProblems({ ...config, postCreateCommands: "npm ci" })).toEqual([
      "postCreateCommands: not a key this check knows from the spec; add its rule from the schema",
    ]);
    expect(
      specProblems({ ...config, portsAttributes: { "3000": { label: "live view", onAutoForward: "open" } } }),
    ).toEqual(['portsAttributes.3000.onAutoForward: "open" is not allowed']);
    expect(specProblems({ ...config, forwardPorts: [70000] })).toEqual([
      "forwardPorts: must be port numbers or host:port",
    ]);
  });

  it("is a Node 24 image", () => {
    expect(config.image).toMatch(/^mcr\.microsoft\.com\/devcontainers\/(javascript|typescript)-node:24(-[a-z]+)?$/);
  });

  it("installs the Debian packages .ci/run installs, when it is created", () => {
    const ciPackages = [...ciRun.matchAll(/missing\+=\(([\w.-]+)\)/g)].map((match) => match[1]).sort();
    expect(ciPackages).toEqual(["azure-cli", "chromium", "python3-azure"]);
    const install = /apt-get install -y ([\w. -]+)/.exec(String(config.onCreateCommand))?.[1] ?? "";
    expect(install.trim().split(/\s+/).sort()).toEqual(ciPackages);
  });

  it("installs from the lock as CI does (npm ci) when it is created and when a prebuild updates it", () => {
    const [install] = codeBlockUnder(readRepoFile("README.md"), "## Run the tests");
    expect(install).toBe("npm install");
    expect(readRepoFile("README.md")).toContain("CI installs with `npm ci`");
    expect(config.updateContentCommand).toBe("npm ci");
  });

  it("adds the hosts line .ci/run adds for the vault, at every start", () => {
    expect(ciRun).toMatch(/vault_host=keyless-kv\.vault\.localhost/);
    expect(ciRun).toMatch(/echo "127\.0\.0\.1 \$vault_host" >>\/etc\/hosts/);
    expect(config.postStartCommand).toContain('echo "127.0.0.1 keyless-kv.vault.localhost" | sudo tee -a /etc/hosts');
  });

  it("forwards npm start's ports with their names: the live view, the four steps, the learner's four apps", () => {
    expect(config.forwardPorts).toEqual([3000, 3001, 3002, 3003, 3004, 3101, 3102, 3103, 3104]);
    const labels = Object.fromEntries(
      Object.entries(config.portsAttributes ?? {}).map(([port, attributes]) => [port, attributes.label]),
    );
    expect(labels).toEqual({
      "3000": "live view",
      "3001": "step 01",
      "3002": "step 02",
      "3003": "step 03",
      "3004": "step 04",
      "3101": "your app 01",
      "3102": "your app 02",
      "3103": "your app 03",
      "3104": "your app 04",
    });
  });
});
