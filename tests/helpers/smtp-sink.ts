// A real SMTP server on 127.0.0.1, port 0, that keeps every message it receives, so tests read the mail
// the app actually put on the wire (through nodemailer, over a socket) instead of a mocked mailer.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
}

export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  /** Resolves with the first message to `to` that arrives (or has arrived). */
  waitFor(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/**
 * `dropDir`: also write every message there as JSON (one file each, in arrival order), for readers in
 * other processes (the Playwright workers: `mailFromDrop`). `acceptDelayMs`: a slow server, that keeps
 * each message (counted on arrival) this long before answering that it accepted it.
 */
export async function startSmtpSink(options: { dropDir?: string; acceptDelayMs?: number } = {}): Promise<SmtpSink> {
  if (options.dropDir) mkdirSync(options.dropDir, { recursive: true });
  const messages: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)$/im.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, " ") ?? "";
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          subject,
        };
        messages.push(mail);
        if (options.dropDir) writeFileSync(path.join(options.dropDir, `${String(messages.length).padStart(6, "0")}.json`), JSON.stringify(mail));
        for (const wake of waiters.splice(0)) wake();
        if (options.acceptDelayMs) setTimeout(() => callback(), options.acceptDelayMs);
        else callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const find = (to: string) => messages.find((m) => m.to.includes(to));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitFor(to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find(to);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Waits for the first message to `to` in a sink's drop folder whose subject matches. */
export async function mailFromDrop(dropDir: string, to: string, subject: RegExp, timeoutMs = 15_000): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const file of readdirSync(dropDir).sort()) {
      const mail = JSON.parse(readFileSync(path.join(dropDir, file), "utf8")) as ReceivedMail;
      if (mail.to.includes(to) && subject.test(mail.subject)) return mail;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The first URL in a mail's body (quoted-printable soft breaks undone). */
export function firstLink(mail: ReceivedMail): string {
  const body = mail.raw.replace(/=\r?\n/g, "");
  const match = /https?:\/\/[^\s"<>]+/.exec(body);
  if (!match) throw new Error(`no link in mail:\n${mail.raw}`);
  return match[0];
}
