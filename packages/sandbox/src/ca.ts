/**
 * The sandbox's private certificate authority. Key Vault and Storage insist on
 * HTTPS (the SDKs refuse to send a bearer token over plain HTTP), so the
 * sandbox serves TLS with a certificate from its own CA, and the steps trust
 * that CA through NODE_EXTRA_CA_CERTS: environment, not code.
 */
import { X509Certificate, webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import tls from "node:tls";

/**
 * @peculiar/x509 makes certificates; it is loaded only when one must be made
 * (the first start, or once a year), not at every start.
 */
async function loadX509() {
  // It resolves its ASN.1 codecs through tsyringe, which needs this polyfill loaded first.
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return x509;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** @peculiar/x509 types its keys with the DOM's CryptoKey, which is the same object in Node. */
const asX509Key = <T>(key: CryptoKey): T => key as unknown as T;

export interface Certificates {
  /** Absolute path of the CA certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /**
   * Absolute path of a bundle: the public and the system's CAs, and the sandbox CA (PEM), for
   * the clients that take one file in place of their own list: Python (REQUESTS_CA_BUNDLE,
   * SSL_CERT_FILE), the Azure CLI, curl (CURL_CA_BUNDLE).
   */
  readonly caBundle: string;
  readonly caPem: string;
  /** The server certificate (PEM) and its private key (PKCS #8 PEM). */
  readonly certPem: string;
  readonly keyPem: string;
}

/** The names the sandbox answers on: every service, vault and storage account. */
const SERVER_NAMES = [
  "localhost",
  "*.vault.localhost",
  "*.queue.localhost",
  "*.blob.localhost",
  "*.azurewebsites.localhost",
  "*.scm.azurewebsites.localhost",
];
const SERVER_IPS = ["127.0.0.1", "::1"];

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 24 * 60 * 60 * 1000;

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString("base64")
    .match(/.{1,64}/g)
    ?.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  return webcrypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: "CN=keyless sandbox local CA, O=keyless workshop",
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    keys: { publicKey: asX509Key(keys.publicKey), privateKey: asX509Key(keys.privateKey) },
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(asX509Key(keys.publicKey)),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

async function createServerCertificate(ca: {
  certPem: string;
  keyPem: string;
}): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (Date.now() + 1).toString(16),
    subject: "CN=localhost, O=keyless workshop",
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    publicKey: asX509Key(keys.publicKey),
    signingKey: asX509Key(await importKeyPem(ca.keyPem)),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...SERVER_NAMES.map((value) => ({ type: "dns" as const, value })),
        ...SERVER_IPS.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

function stillValid(certPem: string): boolean {
  return Date.parse(new X509Certificate(certPem).validTo) > Date.now() + DAY;
}

/** Whether a server certificate names every host the sandbox answers on. */
function coversEveryName(certPem: string): boolean {
  const names = new X509Certificate(certPem).subjectAltName ?? "";
  return SERVER_NAMES.every((name) => names.split(", ").includes(`DNS:${name}`));
}

/**
 * Creates the CA and the server certificate in `dir` on first use and reuses
 * them afterwards, so a learner trusts one CA for the life of the checkout.
 */
export async function ensureCertificates(dir: string): Promise<Certificates> {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const file = (name: string) => join(folder, name);
  const read = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), "utf8") : undefined);

  let ca = { certPem: read("ca.crt") ?? "", keyPem: read("ca.key") ?? "" };
  let server = { certPem: read("server.crt") ?? "", keyPem: read("server.key") ?? "" };
  if (!ca.certPem || !ca.keyPem || !stillValid(ca.certPem)) {
    ca = await createCa();
    writeFileSync(file("ca.key"), ca.keyPem, { mode: 0o600 });
    writeFileSync(file("ca.crt"), ca.certPem);
    server = { certPem: "", keyPem: "" };
  }
  // A certificate made before the sandbox answered on a name (a checkout that pulled a new one) is made again.
  if (!server.certPem || !server.keyPem || !stillValid(server.certPem) || !coversEveryName(server.certPem)) {
    server = await createServerCertificate(ca);
    writeFileSync(file("server.key"), server.keyPem, { mode: 0o600 });
    writeFileSync(file("server.crt"), server.certPem);
  }
  return {
    caFile: file("ca.crt"),
    caBundle: writeCaBundle(file("bundle.pem"), ca.certPem),
    caPem: ca.certPem,
    certPem: server.certPem,
    keyPem: server.keyPem,
  };
}

/** Where Linux distributions and macOS keep the system's trusted CAs as one PEM file. */
const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/**
 * Writes the bundle a client reads in place of its own CA list: the public CAs (Node's copy of
 * Mozilla's list, what Python's certifi holds too), the system's (a company's CA, which a proxy
 * may need), and the sandbox CA last. Rewritten at every start: the system's CAs may have changed.
 */
function writeCaBundle(path: string, caPem: string): string {
  const system = SYSTEM_BUNDLES.find((candidate) => existsSync(candidate));
  // Windows keeps its CAs in a store, not a file: Node reads it.
  const systemPems = system
    ? [readFileSync(system, "utf8")]
    : process.platform === "win32"
      ? tls.getCACertificates("system")
      : [];
  const pems = [...tls.rootCertificates, ...systemPems, `# keyless sandbox local CA\n${caPem}`];
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${pems.map((pem) => pem.trim()).join("\n")}\n`);
  renameSync(partial, path);
  return path;
}
