import type { Change, FieldChange } from "./changes.js";
import type { ApplyResult } from "./execute.js";
import type { Plan } from "./plan.js";

const SYMBOL: Record<Change["action"], string> = { create: "+", update: "~", replace: "-/+", delete: "-" };

/** The plan as text: one line per change, one indented line per changed field, and a summary. */
export function renderPlan(plan: Plan, file: string): string[] {
  const lines: string[] = [];
  if (!plan.changes.length) lines.push(`No changes. The server matches ${file}.`);
  for (const change of plan.changes) {
    lines.push(`${SYMBOL[change.action]} ${change.action} ${change.kind} ${change.name}`);
    for (const field of change.fields) lines.push(`    ${field.field}: ${describe(field, change.action)}`);
  }
  if (plan.changes.length) lines.push("", `Plan: ${summary(plan.changes)}.`);
  if (plan.unmanaged.length) {
    const shown = plan.unmanaged.slice(0, 10).join(", ");
    const more = plan.unmanaged.length > 10 ? `, and ${plan.unmanaged.length - 10} more` : "";
    lines.push(`Not in ${file}, left alone (--prune deletes them): ${shown}${more}.`);
  }
  return lines;
}

/** What the execute step did, with the values of generated keys (shown this once). */
export function renderResult(result: ApplyResult): string[] {
  const lines = [`Applied ${result.applied.length} ${result.applied.length === 1 ? "change" : "changes"}.`];
  const shown = result.createdKeys.filter((k) => k.value);
  if (shown.length) {
    lines.push("", "New API keys (their values are shown only now):");
    for (const key of shown)
      lines.push(`  ${key.tenant}/${key.name} (plan ${key.plan}, id ${key.id}): ${key.value}`);
  }
  return lines;
}

/** The plan and result for `--json`. */
export function planJson(plan: Plan, result?: ApplyResult): Record<string, unknown> {
  const strip = ({ action, kind, name, fields }: Change) => ({ action, kind, name, fields });
  return {
    changes: plan.changes.map(strip),
    unmanaged: plan.unmanaged,
    ...(result
      ? {
          applied: result.applied.length,
          createdKeys: result.createdKeys,
          ...(result.failed ? { failed: strip(result.failed.change) } : {}),
        }
      : {}),
  };
}

function summary(changes: Change[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  return ["create", "update", "replace", "delete"]
    .filter((action) => counts.has(action))
    .map((action) => `${counts.get(action)} to ${action}`)
    .join(", ");
}

/** A created resource's fields show their values; other changes show `from → to`. */
function describe(field: FieldChange, action: Change["action"]): string {
  if (action === "create") return format(field.to);
  if (field.to === undefined) return `${format(field.from)} → (removed)`;
  return `${format(field.from)} → ${format(field.to)}`;
}

function format(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}
