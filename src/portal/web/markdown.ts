import { marked } from "marked";
import sanitizeHtml from "sanitize-html";
import { type SafeHtml, trusted } from "./html.js";

/**
 * The provider's Markdown pages, rendered by marked and sanitized: no scripts, styles, frames
 * or event handlers survive, links keep http(s), mailto and relative targets, images only the
 * portal's own origin (the CSP would block others anyway).
 */
export function renderMarkdown(markdown: string): SafeHtml {
  const rendered = marked.parse(markdown, { async: false, gfm: true }) as string;
  return trusted(
    sanitizeHtml(rendered, {
      allowedTags: [...sanitizeHtml.defaults.allowedTags, "img", "h1", "h2"],
      allowedAttributes: { a: ["href", "title"], img: ["src", "alt", "title"], code: ["class"] },
      allowedSchemes: ["http", "https", "mailto"],
      allowedSchemesByTag: { img: [] },
      allowProtocolRelative: false,
    }),
  );
}
