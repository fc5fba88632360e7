import nodemailer, { type Transporter } from "nodemailer";
import type { Clock } from "../core/clock.js";
import { newId } from "../core/ids.js";
import type { Store } from "../store/index.js";

/** A message the portal sends: verification, password reset, invitation, approval notices. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Where the portal's mail goes: SMTP in production, the log (and the admin console) when embedded. */
export interface Mailer {
  /** True when sent mail is kept for the admin console (the embedded mailer). */
  readonly keepsOutbox: boolean;
  send(message: MailMessage): Promise<void>;
}

/**
 * The embedded mailer: nothing leaves the machine. Each message is written to the log (so the
 * operator can follow a verification link) and kept in `portal_mail` for the admin console.
 */
export class LogMailer implements Mailer {
  readonly keepsOutbox = true;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {}

  async send(message: MailMessage): Promise<void> {
    await this.store.db
      .insertInto("portal_mail")
      .values({
        id: newId(),
        to_address: message.to,
        subject: message.subject,
        body: message.text,
        created_at: this.clock.now(),
      })
      .execute();
    this.log(`portal mail to ${message.to}: ${message.subject}\n${message.text}`);
  }
}

/** SMTP through nodemailer: `smtp://user:pass@host:587` or `smtps://...` (TOLLGATE_SMTP_URL). */
export class SmtpMailer implements Mailer {
  readonly keepsOutbox = false;
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
    });
  }

  close(): void {
    this.transport.close();
  }
}
