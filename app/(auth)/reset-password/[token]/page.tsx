import { ChooseNewPasswordForm } from "@/components/account/password-reset-forms";

export const metadata = { title: "Choose a new password" };

export default async function ChooseNewPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <main className="centered">
      <ChooseNewPasswordForm token={token} />
    </main>
  );
}
