// Reading the emails the e2e servers write as .eml files (the default transport).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "@playwright/test";

export type SignInEmail = { link: string; code: string; text: string };

/** A fresh address per test, so tests never share accounts or rate limits. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** The text/plain part of a raw message, decoded. */
function textPart(raw: string): string {
  const start = raw.indexOf("Content-Type: text/plain");
  expect(start, "a text/plain part").toBeGreaterThanOrEqual(0);
  const part = raw.slice(start);
  const headerEnd = part.search(/\r?\n\r?\n/);
  const headers = part.slice(0, headerEnd);
  // Up to the message's own boundary: a quoted-printable line of a token can start "--".
  const boundary = raw.match(/boundary="?([^";\r\n]+)"?/i)?.[1];
  const end = boundary ? `\n--${boundary}` : "\n--";
  const body = part.slice(headerEnd).replace(/^\s+/, "").split(end)[0].replace(/\r$/, "");
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) return decodeQuotedPrintable(body);
  if (/Content-Transfer-Encoding: base64/i.test(headers)) {
    return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  }
  return body;
}

/**
 * Waits for an email to `to` in `dir` whose text part matches `pattern` and contains none of
 * `except` (links already seen); returns that text.
 */
async function emailMatching(dir: string, to: string, pattern: RegExp, except: string[] = []): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(
      () => {
        let names: string[] = [];
        try {
          names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
        } catch {
          return false;
        }
        found = names
          .map((n) => readFileSync(join(dir, n), "utf8"))
          .filter((raw) => new RegExp(`^To: ${to.replace(/[.+]/g, "\\$&")}\\r?$`, "mi").test(raw))
          .map(textPart)
          .find((text) => pattern.test(text) && except.every((seen) => !text.includes(seen)));
        return found !== undefined;
      },
      { message: `an email to ${to} matching ${pattern} in ${dir}`, timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

/** Waits for the report-link email to `to` for report `id`; returns the link. */
export async function reportLinkEmail(dir: string, to: string, id: string): Promise<string> {
  const pattern = new RegExp(`https?://\\S+/reports/${id}/view\\?token=[A-Za-z0-9_-]+`);
  const text = await emailMatching(dir, to, pattern);
  return text.match(pattern)![0];
}

/** Waits for a sign-in email to `to` in `dir` (not one with a link in `except`); returns its link and code. */
export async function signInEmail(dir: string, to: string, except: string[] = []): Promise<SignInEmail> {
  const text = await emailMatching(dir, to, /\/signin\/link\?token=/, except);
  const link = text.match(/https?:\/\/\S+\/signin\/link\?token=[A-Za-z0-9_-]+/)?.[0];
  const code = text.match(/enter this code: (\d{3}) (\d{3})/);
  expect(link, text).toBeTruthy();
  expect(code, text).toBeTruthy();
  return { link: link!, code: code![1] + code![2], text };
}

/** Waits for the share email to `to`; returns the link. */
export async function shareEmail(dir: string, to: string): Promise<string> {
  const pattern = /https?:\/\/\S+\/shared\?token=[A-Za-z0-9_-]+/;
  const text = await emailMatching(dir, to, pattern);
  return text.match(pattern)![0];
}

/** Waits for the named-guest code email to `to`; returns the code. */
export async function shareCodeEmail(dir: string, to: string): Promise<string> {
  const pattern = /shared by \S+: (\d{3}) (\d{3})/;
  const text = await emailMatching(dir, to, pattern);
  const code = text.match(pattern)!;
  return code[1] + code[2];
}

/** Waits for a named-guest code email to `to`; returns its link, which confirms any browser. */
export async function shareCodeLink(dir: string, to: string): Promise<string> {
  const pattern = /https?:\/\/\S+\/shared\?token=[A-Za-z0-9_-]+&confirm=\d+\.[A-Za-z0-9_-]+/;
  const text = await emailMatching(dir, to, pattern);
  return text.match(pattern)![0];
}

/** Waits for the email to `to` carrying a link to `path` (`/email/confirm`, `/email/undo`). */
export async function emailChangeLink(dir: string, to: string, path: string): Promise<string> {
  const pattern = new RegExp(`https?://\\S+${path}\\?token=[A-Za-z0-9_-]+`);
  const text = await emailMatching(dir, to, pattern);
  return text.match(pattern)![0];
}
