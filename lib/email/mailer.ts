// Outgoing mail (team invitations, password resets, notification emails) through nodemailer's SMTP
// transport. Without SMTP_URL there is no mailer and callers fall back to what works without mail (a
// copyable invitation link; notification emails are marked skipped). Mail bodies may carry single-use
// links, so they are never logged.
import nodemailer, { type Transporter } from "nodemailer";
import { getServerEnv } from "@/lib/env";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createSmtpMailer(options: { smtpUrl: string; from: string }): Mailer {
  const transport: Transporter = nodemailer.createTransport(options.smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}

let cached: { smtpUrl: string; mailer: Mailer } | undefined;

/** The configured mailer, or null when SMTP_URL is not set. */
export function getMailer(): Mailer | null {
  const env = getServerEnv();
  if (!env.SMTP_URL) return null;
  if (cached?.smtpUrl !== env.SMTP_URL) cached = { smtpUrl: env.SMTP_URL, mailer: createSmtpMailer({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM }) };
  return cached.mailer;
}
