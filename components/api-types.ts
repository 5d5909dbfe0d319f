// Response shapes of the session-authenticated dashboard API (docs/dashboard-api.md), under the names
// the pages use. The domain modules own them (their views are already JSON: dates as ISO strings), so a
// change there is a type error here rather than a silent mismatch.
import type { AppView } from "@/lib/apps/app.types";
import type { AuditEntryView } from "@/lib/audit/list-audit-log.types";
import type { getBilling } from "@/lib/billing/get-billing";
import type { KeyView } from "@/lib/keys/key.types";
import type { PlanView } from "@/lib/plans/plan.types";
import type { searchApps } from "@/lib/apps/search-apps";
import type { searchTenants } from "@/lib/tenants/search-tenants";
import type { getTenantForAdmin } from "@/lib/tenants/admin-tenant";

export type { EffectiveLimits } from "@/lib/plans/effective-limits";
export type { OverrideView as Override, PlanView as Plan } from "@/lib/plans/plan.types";
export type { AutoRechargeView as AutoRecharge, LedgerEntryView as LedgerEntry } from "@/lib/billing/billing.types";
export type { TenantOfUser } from "@/lib/apps/get-app";
export type { AccountView as Account } from "@/lib/account/account.types";
export type { InvitationView as Invitation, IssuedInvitation, MemberView as Member, TeamView as Team } from "@/lib/teams/team.types";
export type { Permission } from "@/lib/tenancy/permissions";
export type { UsagePoint, UsageRange as SeriesRange, UsageResponse as Usage, UsageSeries } from "@/lib/usage/usage.types";

export type PlanKind = PlanView["kind"];
export type App = AppView;
export type Key = KeyView;
export type KeyKind = KeyView["kind"];
export type AuditEntry = AuditEntryView;
export type Billing = Awaited<ReturnType<typeof getBilling>>;
export type PaymentMethod = NonNullable<Billing["paymentMethod"]>;
export type AdminTenant = Awaited<ReturnType<typeof searchTenants>>[number];
export type AdminApp = Awaited<ReturnType<typeof searchApps>>[number];
export type AdminTenantDetail = Awaited<ReturnType<typeof getTenantForAdmin>>;
