import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** How developers get an account: anyone, with an invitation, or by asking (an admin approves). */
export type RegistrationMode = "open" | "invite" | "request";

/** Everything the portal is configured by. */
export interface PortalConfig {
  /** The URL developers reach the portal at (links in mail, the CORS origin, Secure cookies when https). */
  publicUrl: string;
  /** The gateway's public base URL, for curl lines and try-it. */
  gatewayUrl: string;
  title: string;
  /** A logo served at /assets/logo. */
  logo?: { contentType: string; body: Buffer };
  colors: { primary: string; accent: string };
  registration: RegistrationMode;
  /** Markdown of the home and getting-started pages. */
  pages: { home: string; gettingStarted: string };
  /** SMTP URL for mail; the embedded mailer (log + admin console) when absent. */
  smtpUrl?: string;
  mailFrom: string;
  /** Session lifetime, hours. */
  sessionHours: number;
}

const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, "expected a colour as #rrggbb");

/** The `portal:` section of tollgate.yaml, or the whole of `<data dir>/portal/portal.yaml`. */
const PortalFile = z.strictObject({
  publicUrl: z.url().optional(),
  gatewayUrl: z.url().optional(),
  title: z.string().min(1).max(80).optional(),
  logo: z.string().optional().describe("path of an SVG or PNG file, relative to the file"),
  colors: z.strictObject({ primary: Color.optional(), accent: Color.optional() }).optional(),
  registration: z.enum(["open", "invite", "request"]).optional(),
  pages: z
    .strictObject({ home: z.string().optional(), gettingStarted: z.string().optional() })
    .optional()
    .describe("paths of Markdown files, relative to the file"),
  mail: z.strictObject({ smtpUrl: z.string().optional(), from: z.string().optional() }).optional(),
  sessionHours: z
    .number()
    .positive()
    .max(24 * 30)
    .optional(),
});
type PortalFile = z.infer<typeof PortalFile>;

const DEFAULT_HOME = `# Welcome

This portal is where you sign up for the API, pick a plan, get your API keys, try requests
in the reference, and follow your usage and invoices.

[Browse the APIs](/catalog) or [get started](/getting-started).
`;

const DEFAULT_GETTING_STARTED = `# Getting started

1. **Create an account** and confirm your email address.
2. **Create an organization**: your team's keys, plan, usage and invoices live in it.
3. **Subscribe to a plan** in the catalog.
4. **Create an API key** and send it in the \`x-api-key\` header of every request.
5. **Try a request** from the API reference, or copy the curl line it shows.
`;

const IMAGE_TYPES: Record<string, string> = { ".svg": "image/svg+xml", ".png": "image/png" };

/**
 * Reads the portal's configuration: `TOLLGATE_PORTAL_CONFIG` (a YAML file; its `portal:`
 * section when it has one, so tollgate.yaml can carry it) or `<dataDir>/portal/portal.yaml`,
 * then environment overrides. Markdown pages default to `home.md` and `getting-started.md`
 * beside the file, then to built-in text.
 */
export function loadPortalConfig(
  options: { dataDir: string; portalUrl: string; gatewayUrl: string },
  env: NodeJS.ProcessEnv = process.env,
): PortalConfig {
  const path = env.TOLLGATE_PORTAL_CONFIG
    ? resolve(env.TOLLGATE_PORTAL_CONFIG)
    : join(options.dataDir, "portal", "portal.yaml");
  const file = readPortalFile(path);
  const base = dirname(path);
  const read = (relative: string | undefined, fallback: string) => {
    if (relative) return readFileSync(resolve(base, relative), "utf8");
    return fallback;
  };
  const beside = (name: string) => (existsSync(join(base, name)) ? name : undefined);
  const registration = env.TOLLGATE_PORTAL_REGISTRATION ?? file.registration ?? "open";
  if (!["open", "invite", "request"].includes(registration)) {
    throw new Error(
      `Invalid TOLLGATE_PORTAL_REGISTRATION '${registration}': expected open, invite or request`,
    );
  }
  let logo: PortalConfig["logo"];
  if (file.logo) {
    const type = IMAGE_TYPES[extname(file.logo).toLowerCase()];
    if (!type) throw new Error(`Invalid portal logo '${file.logo}': expected an .svg or .png file`);
    logo = { contentType: type, body: readFileSync(resolve(base, file.logo)) };
  }
  return {
    publicUrl: trimSlash(env.TOLLGATE_PORTAL_URL ?? file.publicUrl ?? options.portalUrl),
    gatewayUrl: trimSlash(env.TOLLGATE_GATEWAY_PUBLIC_URL ?? file.gatewayUrl ?? options.gatewayUrl),
    title: file.title ?? "Developer portal",
    logo,
    colors: { primary: file.colors?.primary ?? "#1f4f8b", accent: file.colors?.accent ?? "#0b7a53" },
    registration: registration as RegistrationMode,
    pages: {
      home: read(file.pages?.home ?? beside("home.md"), DEFAULT_HOME),
      gettingStarted: read(
        file.pages?.gettingStarted ?? beside("getting-started.md"),
        DEFAULT_GETTING_STARTED,
      ),
    },
    smtpUrl: env.TOLLGATE_SMTP_URL || file.mail?.smtpUrl || undefined,
    mailFrom: env.TOLLGATE_MAIL_FROM ?? file.mail?.from ?? "portal@localhost",
    sessionHours: file.sessionHours ?? 12,
  };
}

function readPortalFile(path: string): PortalFile {
  if (!existsSync(path)) return {};
  const raw = parseYaml(readFileSync(path, "utf8")) as unknown;
  const section =
    raw && typeof raw === "object" && "portal" in raw ? (raw as { portal: unknown }).portal : (raw ?? {});
  const parsed = PortalFile.safeParse(section);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "portal"}: ${i.message}`);
    throw new Error(`Invalid portal config ${path}:\n${issues.join("\n")}`);
  }
  return parsed.data;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
