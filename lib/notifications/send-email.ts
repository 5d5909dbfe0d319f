// Notification email over SMTP (SMTP_URL). Without SMTP_URL emails are skipped, and that is logged
// once per process rather than once per event.
import { createSmtpMailer, type Mailer } from "@/lib/email/mailer";

let cached: { url: string; from: string; mailer: Mailer } | undefined;
let loggedSkip = false;

export type EmailOutcome = { status: "sent" } | { status: "skipped"; reason: string };

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

function mailerFor(url: string, from: string): Mailer {
  if (cached?.url !== url || cached.from !== from) cached = { url, from, mailer: createSmtpMailer({ smtpUrl: url, from }) };
  return cached.mailer;
}

export async function sendEmail(smtpUrl: string | undefined, message: EmailMessage): Promise<EmailOutcome> {
  if (!smtpUrl) {
    if (!loggedSkip) {
      loggedSkip = true;
      console.warn(JSON.stringify({ level: "warn", msg: "SMTP_URL is not set: notification emails are skipped" }));
    }
    return { status: "skipped", reason: "SMTP_URL is not set" };
  }
  if (message.to.length === 0) return { status: "skipped", reason: "The app has no members to email" };
  await mailerFor(smtpUrl, message.from).send({ to: message.to.join(", "), subject: message.subject, text: message.text });
  return { status: "sent" };
}
