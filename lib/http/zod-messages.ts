// The one place a zod issue becomes words a person uses. Installed as zod's global error map, so it
// speaks wherever a schema gives no message of its own (a schema's own message always wins). Messages
// stand next to their field in forms, so they never name the field's key ("email: …").
import { z } from "zod";

type Issue = Parameters<NonNullable<z.core.$ZodConfig["customError"]>>[0];

function plural(count: number | bigint, word: string): string {
  return `${count} ${word}${Number(count) === 1 ? "" : "s"}`;
}

export function humanIssueMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return issue.expected === "boolean" ? "Choose an option" : "Fill in this field";
      if (issue.expected === "int" && typeof issue.input === "number") return "Enter a whole number";
      if (issue.expected === "number" || issue.expected === "int") return "Enter a number";
      if (issue.expected === "boolean") return "Choose yes or no";
      if (issue.expected === "array") return "Give a list";
      return "Enter text here";
    case "too_small": {
      const minimum = issue.minimum;
      if (issue.origin === "string") return Number(minimum) <= 1 ? "Fill in this field" : `Use at least ${plural(minimum, "character")}`;
      if (issue.origin === "array" || issue.origin === "set") return Number(minimum) <= 1 ? "Add at least one" : `Add at least ${minimum}`;
      return issue.inclusive === false ? `Enter a number above ${minimum}` : `Enter ${minimum} or more`;
    }
    case "too_big": {
      const maximum = issue.maximum;
      if (issue.origin === "string") return `Use at most ${plural(maximum, "character")}`;
      if (issue.origin === "array" || issue.origin === "set") return `Use at most ${maximum}`;
      return issue.inclusive === false ? `Enter a number below ${maximum}` : `Enter ${maximum} or less`;
    }
    case "invalid_format":
      if (issue.format === "email") return "Enter a valid email address";
      if (issue.format === "url") return "Enter a full URL, like https://example.com";
      return "Check the format of this value";
    case "not_multiple_of":
      return issue.divisor === 1 ? "Enter a whole number" : `Enter a multiple of ${issue.divisor}`;
    case "invalid_value":
      return "Choose one of the listed options";
    case "unrecognized_keys":
      return `Tollgate does not know ${issue.keys.length === 1 ? "the field" : "the fields"} ${issue.keys.map((key) => `“${key}”`).join(", ")}`;
    case "invalid_union":
      return "Check this value";
    default:
      return undefined;
  }
}

z.config({ customError: humanIssueMessage });
