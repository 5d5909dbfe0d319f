"use client";
// Notification centre data: one query shared by the bell and the banners, polled while a page is open.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch } from "@/components/api";

export const NOTIFICATIONS_POLL_MS = 10_000;

export interface Notification {
  id: string;
  appId: string;
  appName: string;
  type: string;
  severity: "info" | "warning" | "critical";
  title: string;
  message: string;
  banner: boolean;
  readAt: string | null;
  createdAt: string;
}

export const notificationKeys = {
  all: ["notifications"] as const,
  spendControls: (appId: string) => ["apps", appId, "spend-controls"] as const,
  webhooks: (appId: string) => ["apps", appId, "webhooks"] as const,
  deliveries: (appId: string, endpointId: string) => ["apps", appId, "webhooks", endpointId, "deliveries"] as const,
};

export function useNotifications() {
  return useQuery({
    queryKey: notificationKeys.all,
    queryFn: () => apiFetch<{ notifications: Notification[]; unreadCount: number }>("/api/notifications"),
    refetchInterval: NOTIFICATIONS_POLL_MS,
  });
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { eventIds: string[] } | { all: true }) => apiFetch<{ marked: number }>("/api/notifications/read", { method: "POST", body }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: notificationKeys.all }),
  });
}
