import { escapeHtml, type SafeHtml, trusted } from "./html.js";

/**
 * A bar chart of requests per day as inline SVG: readable without JavaScript, labelled for
 * screen readers (`role="img"` with a title and a description; the table beside it has the numbers).
 */
export function barChart(input: {
  id: string;
  title: string;
  labels: string[];
  values: number[];
  limit?: number;
}): SafeHtml {
  const width = 720;
  const height = 220;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  const peak = Math.max(1, ...input.values);
  // A limit far above the bars would flatten them: it is drawn only when it is in sight.
  const limitShown = input.limit !== undefined && input.limit <= peak * 1.25 ? input.limit : undefined;
  const max = Math.max(peak, limitShown ?? 0);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = plotW / Math.max(1, input.values.length);
  const barW = Math.max(2, step * 0.7);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const bars = input.values
    .map((v, i) => {
      const x = pad.left + i * step + (step - barW) / 2;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(pad.top + plotH - y(v)).toFixed(1)}"><title>${escapeHtml(input.labels[i] ?? "")}: ${v}</title></rect>`;
    })
    .join("");
  const ticks = [...new Set([0, Math.round(max / 2), max])]
    .map(
      (v) =>
        `<text class="tick" x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text><line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}"/>`,
    )
    .join("");
  const every = Math.ceil(input.labels.length / 10);
  const labels = input.labels
    .map((label, i) =>
      i % every === 0
        ? `<text class="tick" x="${(pad.left + i * step + step / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${escapeHtml(label.slice(8))}</text>`
        : "",
    )
    .join("");
  const limit =
    limitShown !== undefined
      ? `<line class="limit" x1="${pad.left}" x2="${width - pad.right}" y1="${y(limitShown)}" y2="${y(limitShown)}"/>`
      : "";
  const total = input.values.reduce((a, b) => a + b, 0);
  const desc = `${total} requests from ${input.labels[0] ?? ""} to ${input.labels.at(-1) ?? ""}`;
  return trusted(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${input.id}-title ${input.id}-desc"><title id="${input.id}-title">${escapeHtml(input.title)}</title><desc id="${input.id}-desc">${escapeHtml(desc)}</desc>${ticks}${bars}${limit}${labels}</svg>`,
  );
}
