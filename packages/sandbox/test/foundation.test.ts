/** The private CA every HTTPS service uses, and the *.localhost resolver the steps preload. */
import { execFile } from "node:child_process";
import dns from "node:dns";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { ensureCertificates } from "../src/ca.ts";
import "../src/dnsPreload.mjs";

const dir = mkdtempSync(join(tmpdir(), "keyless-ca-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ensureCertificates", () => {
  it("creates a CA and a server certificate for every sandbox name, then reuses them", async () => {
    const first = await ensureCertificates(dir);
    const server = new X509Certificate(first.certPem);
    const ca = new X509Certificate(first.caPem);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    for (const name of [
      "localhost",
      "keyless-kv.vault.localhost",
      "devstoreaccount1.queue.localhost",
      "x.blob.localhost",
    ])
      expect(server.checkHost(name)).toBeTruthy();
    for (const ip of ["127.0.0.1", "::1"]) expect(server.checkIP(ip)).toBe(ip);
    expect(first.caFile).toBe(join(dir, "ca.crt"));
    expect(statSync(join(dir, "ca.key")).mode & 0o077).toBe(0);
    const second = await ensureCertificates(dir);
    expect(second).toEqual(first);
  });

  it("writes a bundle for clients that take one CA file (REQUESTS_CA_BUNDLE, SSL_CERT_FILE): the public CAs and, last, the sandbox CA", async () => {
    const { caBundle, caPem } = await ensureCertificates(dir);
    expect(caBundle).toBe(join(dir, "bundle.pem"));
    const bundle = readFileSync(caBundle, "utf8");
    expect(bundle.trimEnd().endsWith(caPem.trim())).toBe(true);
    expect(bundle).toContain(tls.rootCertificates[0]?.trim() ?? "no public CA");
  });
});

describe("the *.localhost preload", () => {
  it("resolves localhost names to loopback in every form, and leaves other names alone", async () => {
    expect(await dns.promises.lookup("keyless-kv.vault.localhost")).toEqual({ address: "127.0.0.1", family: 4 });
    expect(await dns.promises.lookup("keyless-kv.vault.localhost", { family: 6 })).toEqual({
      address: "::1",
      family: 6,
    });
    expect(await dns.promises.lookup("a.localhost", { all: true })).toEqual([{ address: "127.0.0.1", family: 4 }]);
    const viaCallback = await new Promise((resolve) =>
      dns.lookup("b.queue.localhost", (error, address, family) => resolve({ error, address, family })),
    );
    expect(viaCallback).toEqual({ error: null, address: "127.0.0.1", family: 4 });
    const all = await new Promise((resolve) =>
      dns.lookup("c.localhost", { all: true }, (_error, addresses) => resolve(addresses)),
    );
    expect(all).toEqual([{ address: "127.0.0.1", family: 4 }]);
    expect((await dns.promises.lookup("127.0.0.1")).address).toBe("127.0.0.1");
  });

  it("is plain JavaScript: a Node that runs no TypeScript (Node 20, npm's own) loads it from NODE_OPTIONS", async () => {
    const preload = pathToFileURL(fileURLToPath(new URL("../src/dnsPreload.mjs", import.meta.url))).href;
    const script =
      'require("node:dns").lookup("keyless-kv.vault.localhost", (error, address) => console.log(error ?? address))';
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--no-experimental-strip-types", "-e", script],
        { env: { PATH: process.env["PATH"] ?? "", NODE_OPTIONS: `--import ${preload}` } },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
      ),
    );
    expect(output).toBe("127.0.0.1");
  });
});
