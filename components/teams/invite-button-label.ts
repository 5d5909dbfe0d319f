// The invite form's button names what will happen: a mail goes out only with an address and SMTP configured.
export function inviteButtonLabel(input: { email: string; emailEnabled: boolean; pending: boolean }): string {
  if (input.pending) return "Inviting…";
  return input.email.trim() && input.emailEnabled ? "Send invitation" : "Create invitation link";
}
