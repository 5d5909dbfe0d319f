"use client";
import { signOut } from "next-auth/react";

// next-auth would redirect to a callback resolved against NEXTAUTH_URL (often localhost); navigating
// ourselves keeps the user on the host they came from (a LAN address, a proxy's public name).
export function SignOutButton() {
  async function onClick() {
    await signOut({ redirect: false });
    window.location.assign("/sign-in");
  }
  return (
    <button type="button" className="link-button" onClick={() => void onClick()}>
      Sign out
    </button>
  );
}
