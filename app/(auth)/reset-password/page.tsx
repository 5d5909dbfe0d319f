import { RequestPasswordResetForm } from "@/components/account/password-reset-forms";

export const metadata = { title: "Reset password" };

export default function ResetPasswordPage() {
  return (
    <main className="centered">
      <RequestPasswordResetForm />
    </main>
  );
}
