// Notification email over SMTP (SMTP_URL). Without SMTP_URL emails are skipped, and that is logged
// once per process rather than once per event.
import nodemailer, { type Transporter } from "nodemailer";

let transport: { url: string; transporter: Transporter } | undefined;
let loggedSkip = false;

export type EmailOutcome = { status: "sent" } | { status: "skipped"; reason: string };

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

function transporterFor(url: string): Transporter {
  if (transport?.url !== url) transport = { url, transporter: nodemailer.createTransport(url) };
  return transport.transporter;
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
  await transporterFor(smtpUrl).sendMail(message);
  return { status: "sent" };
}
