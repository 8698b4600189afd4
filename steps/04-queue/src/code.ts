import { randomInt } from "node:crypto";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomLetters(count: number): string {
  return Array.from({ length: count }, () => LETTERS[randomInt(LETTERS.length)]).join("");
}

/** A code like `AbC-123-xYz`: the third party's number between two random triples. */
export function makeCode(value: number): string {
  return `${randomLetters(3)}-${value}-${randomLetters(3)}`;
}
