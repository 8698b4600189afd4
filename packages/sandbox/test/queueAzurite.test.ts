/**
 * Azurite never outlives the sandbox: not even when the sandbox's process is
 * killed without a chance to stop it (kill -9, a crash).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, expect, it } from "vitest";
import { ensureCertificates } from "../src/ca.ts";

const caDir = mkdtempSync(join(tmpdir(), "keyless-azurite-test-"));
afterAll(() => rmSync(caDir, { recursive: true, force: true }));

const AZURITE = new URL("../src/queue/azurite.ts", import.meta.url).href;
/** A stand-in for the sandbox: starts Azurite, says on which port, and waits to be killed. */
const SANDBOX = `
  import { Azurite } from ${JSON.stringify(AZURITE)};
  const azurite = new Azurite({ certPem: process.env.CERT_PEM, keyPem: process.env.KEY_PEM });
  await azurite.start();
  console.log(azurite.port);
  setInterval(() => {}, 60_000);
`;

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const connection = connect(port, "127.0.0.1");
    connection.once("connect", () => {
      connection.destroy();
      resolve(true);
    });
    connection.once("error", () => resolve(false));
  });

it("Azurite exits when the process that started it is killed", { timeout: 20_000 }, async () => {
  const { certPem, keyPem } = await ensureCertificates(caDir);
  const sandbox = spawn(process.execPath, ["--input-type=module", "-e", SANDBOX], {
    env: { PATH: process.env["PATH"] ?? "", CERT_PEM: certPem, KEY_PEM: keyPem },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const [firstLine] = (await once(sandbox.stdout, "data")) as [Buffer];
    const port = Number(firstLine.toString().trim());
    expect(await accepts(port)).toBe(true);

    sandbox.kill("SIGKILL");
    await once(sandbox, "exit");
    let open = true;
    for (let tries = 0; open && tries < 80; tries++) {
      await sleep(100);
      open = await accepts(port);
    }
    expect(open).toBe(false);
  } finally {
    sandbox.kill("SIGKILL");
  }
});
