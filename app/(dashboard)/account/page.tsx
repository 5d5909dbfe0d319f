import { AccountSettings } from "@/components/account/account-settings";

export const metadata = { title: "Account" };

export default function AccountPage() {
  return <AccountSettings />;
}
