"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

/** A navigation link that marks itself as the current page (aria-current) for sighted and AT users alike. */
interface NavLinkProps {
  href: string;
  /** Only this exact path marks the link current, not the pages below it. */
  exact?: boolean;
  /** Further path prefixes that belong to this section. */
  alsoMatches?: string[];
  children: ReactNode;
}

export function NavLink({ href, exact, alsoMatches = [], children }: NavLinkProps) {
  const pathname = usePathname();
  const under = (prefix: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);
  const active = (exact ? pathname === href : under(href)) || alsoMatches.some(under);
  return (
    <Link href={href} aria-current={active ? "page" : undefined} className="nav-link">
      {children}
    </Link>
  );
}
