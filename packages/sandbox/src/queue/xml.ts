/**
 * Queue Storage speaks XML, in small documents: a message, a queue's access
 * policies, the account's properties. Reading is strict XML 1.0 (sax in strict
 * mode): a body that is not well-formed, is not UTF-8, nests deeper than any of
 * Azure's documents, or brings a DOCTYPE (entities that expand or point at
 * files) is no document, and the caller gets 400 InvalidXmlDocument.
 */
import sax from "sax";

/** One element: its name, its own text (CDATA included), its child elements in order. */
export interface XmlElement {
  readonly name: string;
  readonly text: string;
  readonly children: readonly XmlElement[];
}

/** Azure's documents are shallow; far deeper is no document of theirs (and would cost a parser its stack). */
const MAX_DEPTH = 32;

/** Characters XML 1.0 allows in a document (Char); anything else cannot travel in an answer either. */
const XML_CHARS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

export const isXmlText = (text: string): boolean => XML_CHARS.test(text);

/** How deep the elements of an XML text nest (an estimate that never undercounts: comments and CDATA are read as text). */
export function xmlDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const [, closing, selfClosing] of text.matchAll(/<(\/)?[A-Za-z_][^<>]*?(\/)?>/g)) {
    if (closing) depth = Math.max(0, depth - 1);
    else if (!selfClosing) deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

/** The document's root element, or undefined when the body is no well-formed XML document. */
export function parseXml(body: Buffer): XmlElement | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
  if (xmlDepth(text) > MAX_DEPTH) return undefined;
  type Open = { name: string; text: string; children: XmlElement[] };
  const open: Open[] = [];
  const roots: XmlElement[] = [];
  let refused = false;
  // strictEntities: the five entities XML defines, not HTML's (`&nbsp;` is no XML). It came with sax 1.3; its types predate it.
  const options: sax.SAXOptions & { strictEntities: boolean } = { trim: false, normalize: false, strictEntities: true };
  const parser = sax.parser(true, options);
  const addText = (chunk: string) => {
    const current = open.at(-1);
    if (current) current.text += chunk;
  };
  parser.ontext = addText;
  parser.oncdata = addText;
  parser.ondoctype = () => {
    refused = true;
  };
  parser.onopentag = (tag) => {
    open.push({ name: tag.name, text: "", children: [] });
  };
  parser.onclosetag = () => {
    const element = open.pop();
    if (!element) return;
    const parent = open.at(-1);
    if (parent) parent.children.push(element);
    else roots.push(element);
  };
  try {
    parser.write(text).close();
  } catch {
    return undefined;
  }
  return refused || roots.length !== 1 ? undefined : roots[0];
}

/** The first child element of that name (Azure's names, as its documents spell them). */
export const childOf = (element: XmlElement, name: string): XmlElement | undefined =>
  element.children.find((child) => child.name === name);

export const childrenOf = (element: XmlElement, name: string): XmlElement[] =>
  element.children.filter((child) => child.name === name);

// ——— Writing ———

export const escapeXml = (text: string): string =>
  text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);

/** An element with its (already written) content; an empty one as Azure writes it, `<Name />`. */
export const element = (name: string, ...content: string[]): string => {
  const inner = content.join("");
  return inner === "" ? `<${name} />` : `<${name}>${inner}</${name}>`;
};

/** An element holding text, escaped. */
export const textElement = (name: string, text: string | number | boolean): string =>
  element(name, escapeXml(String(text)));

export const xmlDocument = (root: string): string => `<?xml version="1.0" encoding="utf-8"?>${root}`;

/** A time as Azure writes it in headers and bodies: RFC 1123, to the second. */
export const rfc1123 = (ms: number): string => new Date(ms).toUTCString();
