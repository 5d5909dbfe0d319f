// A plan as the editor holds it (the text of each field), how it becomes the API's body, and what an
// edit changes compared with the saved plan (the confirmation lists it before anything is saved).
import { PlanDefaults } from "@tollgate/relay/protocol";
import type { Plan, PlanKind } from "@/components/api-types";
import { formatBytes, formatMoney, formatNumber, minorToInput, parseMoneyToMinor } from "@/components/format";

export type NumberField = Exclude<
  { [K in keyof Plan]: Plan[K] extends number | null ? K : never }[keyof Plan],
  undefined | "appCount"
>;

export interface NumberSpec {
  field: NumberField;
  label: string;
  min: number;
  /** Empty means "no cap" (null) rather than invalid. */
  nullable?: boolean;
  group: "limits" | "prices" | "included" | "display";
  /** Typed in dollars (stored in cents) or in GB (stored in bytes); a whole count otherwise. */
  unit?: "dollars" | "gb";
}

const BYTES_PER_GB = 1_000_000_000;

// Every limit a plan carries, with the bounds the API enforces, so most mistakes are caught before saving.
export const numberSpecs: NumberSpec[] = [
  { field: "maxConcurrentConnections", label: "Max concurrent connections", min: 0, nullable: true, group: "limits" },
  { field: "maxMessagesPerPeriod", label: "Max messages per period", min: 0, nullable: true, group: "limits" },
  { field: "tokenBucketRefillPerSecond", label: "Token bucket refill / s", min: 1, group: "limits" },
  { field: "tokenBucketBurst", label: "Token bucket burst", min: 1, group: "limits" },
  { field: "connectAttemptsPerIpPerMinute", label: "Connect attempts per IP / min", min: 1, group: "limits" },
  { field: "controlFrameRefillPerSecond", label: "Control frames refill / s", min: 1, group: "limits" },
  { field: "controlFrameBurst", label: "Control frames burst", min: 1, group: "limits" },
  { field: "inboundBytesPerSecond", label: "Inbound bytes per connection / s", min: 16_384, group: "limits" },
  { field: "historySize", label: "Channel history (messages, 0 = off)", min: 0, group: "limits" },
  { field: "historyTtlSeconds", label: "Channel history kept (seconds, 0 = off)", min: 0, group: "limits" },
  { field: "maxPeersPerChannel", label: "Max peers per channel", min: 1, nullable: true, group: "limits" },
  { field: "maxActiveChannels", label: "Max active channels", min: 1, nullable: true, group: "limits" },
  { field: "monthlyPriceMinor", label: "Monthly price ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "overagePricePer1000MessagesMinor", label: "Overage per 1,000 messages ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "overagePricePerConnectionMinor", label: "Overage per connection over cap ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePer1000ConnectionMinutesMinor", label: "Per 1,000 connection-minutes ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePer1000DeliveredMessagesMinor", label: "Per 1,000 delivered messages ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "pricePerGbEgressMinor", label: "Per GB egress ($)", min: 0, group: "prices", unit: "dollars" },
  { field: "freeConnectionMinutes", label: "Included connection-minutes", min: 0, group: "included" },
  { field: "freeDeliveredMessages", label: "Included delivered messages", min: 0, group: "included" },
  { field: "freeEgressBytes", label: "Included egress (GB)", min: 0, group: "included", unit: "gb" },
  { field: "sortOrder", label: "Sort order", min: -1000, group: "display" },
];

export const groupTitles: Record<NumberSpec["group"], string> = {
  limits: "Limits",
  prices: "Prices",
  included: "Included usage",
  display: "Display",
};

export const kinds: PlanKind[] = ["free", "tiered", "unlimited", "pay_as_you_go"];

export type Draft = Record<NumberField, string> & { slug: string; name: string; kind: PlanKind; overagesAllowed: boolean; isPublic: boolean };

// A new plan starts safe: hidden from customers, no overages, and no price until one is typed (an
// untouched $0.00 would be free unlimited overage).
export const blankPlan: Draft = {
  slug: "",
  name: "",
  kind: "tiered",
  overagesAllowed: false,
  isPublic: false,
  maxConcurrentConnections: "100",
  maxMessagesPerPeriod: "100000",
  tokenBucketRefillPerSecond: "100",
  tokenBucketBurst: "200",
  connectAttemptsPerIpPerMinute: "60",
  controlFrameRefillPerSecond: String(PlanDefaults.controlFrameRefillPerSecond),
  controlFrameBurst: String(PlanDefaults.controlFrameBurst),
  inboundBytesPerSecond: String(PlanDefaults.inboundBytesPerSecond),
  historySize: String(PlanDefaults.historySize),
  historyTtlSeconds: String(PlanDefaults.historyTtlSeconds),
  // Channel limits are optional: none unless an admin sets one.
  maxPeersPerChannel: "",
  maxActiveChannels: "",
  monthlyPriceMinor: "",
  overagePricePer1000MessagesMinor: "",
  overagePricePerConnectionMinor: "",
  pricePer1000ConnectionMinutesMinor: "",
  pricePer1000DeliveredMessagesMinor: "",
  pricePerGbEgressMinor: "",
  freeConnectionMinutes: "0",
  freeDeliveredMessages: "0",
  freeEgressBytes: "0",
  sortOrder: "0",
};

export const priceFields: NumberField[] = numberSpecs.filter((spec) => spec.group === "prices").map((spec) => spec.field);

export function draftFromPlan(plan: Plan): Draft {
  const draft: Draft = { ...blankPlan, slug: plan.slug, name: plan.name, kind: plan.kind, overagesAllowed: plan.overagesAllowed, isPublic: plan.isPublic };
  for (const { field, unit } of numberSpecs) {
    const value = plan[field];
    draft[field] = value === null ? "" : unit === "dollars" ? minorToInput(value) : unit === "gb" ? String(value / BYTES_PER_GB) : String(value);
  }
  return draft;
}

/** A typed value in the spec's unit as the integer the API stores; null when it is not one. */
export function parseSpecValue(spec: NumberSpec, text: string): number | null {
  if (spec.unit === "dollars") return parseMoneyToMinor(text.replaceAll(",", ""));
  const value = Number(text.replaceAll(",", ""));
  if (text === "" || !Number.isFinite(value)) return null;
  if (spec.unit === "gb") return Math.round(value * BYTES_PER_GB);
  return Number.isSafeInteger(value) ? value : null;
}

export function validate(draft: Draft, creating: boolean): { errors: Record<string, string>; body: Record<string, unknown> } {
  const errors: Record<string, string> = {};
  const body: Record<string, unknown> = { name: draft.name.trim(), kind: draft.kind, overagesAllowed: draft.overagesAllowed, isPublic: draft.isPublic };
  if (creating) {
    body.slug = draft.slug.trim();
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(draft.slug.trim())) errors.slug = "Use 1–40 lowercase letters, digits and dashes";
  }
  if (!draft.name.trim()) errors.name = "A plan needs a name";
  for (const spec of numberSpecs) {
    const { field, label, min, nullable, unit } = spec;
    const text = draft[field].trim();
    if (text === "" && nullable) {
      body[field] = null;
      continue;
    }
    if (text === "" && unit === "dollars") {
      errors[field] = `${label}: enter a price (0.00 if it is free)`;
      continue;
    }
    const value = parseSpecValue(spec, text);
    if (value === null || value < min) {
      errors[field] =
        unit === "dollars"
          ? `${label}: an amount in dollars such as 12.50`
          : unit === "gb"
            ? `${label}: a number of GB such as 1.5`
            : nullable
              ? `${label}: a whole number ≥ ${min}, or empty for no cap`
              : `${label}: a whole number ≥ ${min}`;
    } else body[field] = value;
  }
  const burst = Number(draft.tokenBucketBurst);
  const refill = Number(draft.tokenBucketRefillPerSecond);
  if (!errors.tokenBucketBurst && !errors.tokenBucketRefillPerSecond && burst < refill) {
    errors.tokenBucketBurst = "The burst should be at least the refill rate, or clients are throttled below the rate";
  }
  if (!errors.controlFrameBurst && !errors.controlFrameRefillPerSecond && Number(draft.controlFrameBurst) < Number(draft.controlFrameRefillPerSecond)) {
    errors.controlFrameBurst = "The burst should be at least the refill rate, or clients are throttled below the rate";
  }
  if (!errors.historySize && !errors.historyTtlSeconds && (Number(draft.historySize) > 0) !== (Number(draft.historyTtlSeconds) > 0)) {
    const field = Number(draft.historySize) > 0 ? "historyTtlSeconds" : "historySize";
    errors[field] = "Channel history needs both a size and a retention time above 0, or both at 0 (off)";
  }
  return { errors, body };
}


export interface PlanFieldChange {
  field: keyof Draft;
  label: string;
  before: string;
  after: string;
}

function shownValue(spec: NumberSpec, value: number | null): string {
  if (value === null) return "no cap";
  if (spec.unit === "dollars") return formatMoney(value);
  if (spec.unit === "gb") return formatBytes(value);
  return formatNumber(value);
}

const yesNo = (value: boolean) => (value ? "yes" : "no");

/** The fields a valid draft changes on the saved plan, in the form's order, as people read them. */
export function planChanges(plan: Plan, draft: Draft): PlanFieldChange[] {
  const changes: PlanFieldChange[] = [];
  if (draft.name.trim() !== plan.name) changes.push({ field: "name", label: "Name", before: plan.name, after: draft.name.trim() });
  if (draft.kind !== plan.kind) changes.push({ field: "kind", label: "Kind", before: plan.kind, after: draft.kind });
  if (draft.overagesAllowed !== plan.overagesAllowed) changes.push({ field: "overagesAllowed", label: "Overages allowed", before: yesNo(plan.overagesAllowed), after: yesNo(draft.overagesAllowed) });
  if (draft.isPublic !== plan.isPublic) changes.push({ field: "isPublic", label: "Offered to customers", before: yesNo(plan.isPublic), after: yesNo(draft.isPublic) });
  for (const spec of numberSpecs) {
    const text = draft[spec.field].trim();
    const after = text === "" && spec.nullable ? null : parseSpecValue(spec, text);
    const before = plan[spec.field];
    if (after !== before) changes.push({ field: spec.field, label: spec.label, before: shownValue(spec, before), after: shownValue(spec, after) });
  }
  return changes;
}
