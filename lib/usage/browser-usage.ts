// The usage answer a browser gets with a usage token (PROTOCOL §8, "browser usage"): the shape of the
// hosted usage API pages are written against, per axis {current, limit, percent, status}, derived from
// the same live figures as the server's answer.
import { usageStatus } from "@tollgate/relay/protocol";
import { z } from "zod";
import { responseText } from "@/lib/validation/text";
import type { UsageResponse } from "./usage.types";

const count = z.number().int().nonnegative();

const axisSchema = z.object({
  current: count,
  limit: count.nullable().describe("null: no limit"),
  percent: z.number().nonnegative().nullable().describe("current of limit in percent, one decimal; null without a limit"),
  status: z.enum(["healthy", "warning", "critical"]).describe("healthy below 75 %, warning from 75 %, critical from 90 %"),
});
export type UsageAxis = z.infer<typeof axisSchema>;

export const browserUsageResponseSchema = z.object({
  tenantId: responseText(),
  appId: responseText(),
  usage: z.object({
    connections: axisSchema.describe("Connections open now across relay nodes"),
    channels: axisSchema.describe("Channels with at least one subscriber now across relay nodes, against the plan's maxActiveChannels"),
    messages: axisSchema.describe("Messages accepted this billing period"),
  }),
  timestamp: responseText().describe("When the figures were measured (ISO 8601, UTC)"),
  stale: z.boolean().describe("A relay node's figures are late (they stay at its last report)"),
});
export type BrowserUsageResponse = z.infer<typeof browserUsageResponseSchema>;

export function usageAxis(current: number, limit: number | null): UsageAxis {
  return {
    current,
    limit,
    percent: limit === null || limit <= 0 ? null : Math.round((current / limit) * 1000) / 10,
    status: usageStatus(current, limit),
  };
}

export function toBrowserUsage(usage: UsageResponse, tenantId: string): BrowserUsageResponse {
  return {
    tenantId,
    appId: usage.appId,
    usage: {
      connections: usageAxis(usage.concurrentNow, usage.plan.maxConcurrentConnections),
      channels: usageAxis(usage.activeChannels, usage.plan.maxActiveChannels),
      messages: usageAxis(usage.messagesUsed, usage.plan.maxMessagesPerPeriod),
    },
    timestamp: usage.measuredAt,
    stale: usage.stale,
  };
}
