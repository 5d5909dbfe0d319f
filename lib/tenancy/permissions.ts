// What each tenant role may do, in one table. Route wrappers and domain functions ask `roleCan` /
// `requirePermission`; nothing else decides by comparing role names.
import { DomainError } from "@/lib/errors";

export type TenantRole = "owner" | "member";

export const Permissions = [
  "app.read",
  "app.rename",
  "app.create",
  "app.delete",
  "keys.read",
  "keys.manage",
  "usage.read",
  /** Disconnecting a live peer from the dashboard's connection inspector. */
  "connections.manage",
  "billing.read",
  /** Plan changes, overages, top-ups, auto-recharge: anything that moves or commits money. */
  "billing.manage",
  "members.read",
  "members.manage",
  "tenant.transfer",
] as const;
export type Permission = (typeof Permissions)[number];

const MEMBER_PERMISSIONS: readonly Permission[] = ["app.read", "app.rename", "keys.read", "keys.manage", "usage.read", "billing.read", "members.read"];

export const ROLE_PERMISSIONS: Record<TenantRole, ReadonlySet<Permission>> = {
  owner: new Set(Permissions),
  member: new Set(MEMBER_PERMISSIONS),
};

const DENIED_MESSAGES: Record<Permission, string> = {
  "app.read": "Your role cannot see this app",
  "app.rename": "Your role cannot rename apps",
  "app.create": "Only an owner of this team can create apps",
  "app.delete": "Only an owner of this team can delete apps",
  "keys.read": "Your role cannot see this app's keys",
  "keys.manage": "Your role cannot manage keys",
  "usage.read": "Your role cannot see usage",
  "connections.manage": "Only an owner of this team can disconnect peers",
  "billing.read": "Your role cannot see billing",
  "billing.manage": "Only an owner of this team can change plans and billing",
  "members.read": "Your role cannot see the team",
  "members.manage": "Only an owner of this team can manage members and invitations",
  "tenant.transfer": "Only an owner of this team can transfer ownership",
};

export function roleCan(role: TenantRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Throws 403 forbidden naming what the role may not do. */
export function requirePermission(role: TenantRole, ...permissions: Permission[]): void {
  const denied = permissions.find((permission) => !roleCan(role, permission));
  if (denied) throw new DomainError("forbidden", DENIED_MESSAGES[denied]);
}

/** The permissions a role holds, for the dashboard to hide what it cannot do. */
export function permissionsOf(role: TenantRole): Permission[] {
  return Permissions.filter((permission) => roleCan(role, permission));
}

/** An app update needs billing rights for the fields that commit money. */
export function permissionsForAppChanges(changes: { name?: unknown; planSlug?: unknown; overagesEnabled?: unknown }): Permission[] {
  const needed: Permission[] = [];
  if (changes.name !== undefined) needed.push("app.rename");
  if (changes.planSlug !== undefined || changes.overagesEnabled !== undefined) needed.push("billing.manage");
  return needed;
}
