"use client";
import { useEffect, useState } from "react";
import { nextTheme, THEME_STORAGE_KEY, THEMES, type Theme } from "@/components/theme/theme";

const labels: Record<Theme, string> = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };
const shortLabels: Record<Theme, string> = { system: "◐ Auto", light: "☀ Light", dark: "☾ Dark" };

/** Cycles system → light → dark; the choice survives reloads. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>("system");

  useEffect(() => {
    const stored = window.localStorage.getItem(THEME_STORAGE_KEY);
    if ((THEMES as readonly string[]).includes(stored ?? "")) setTheme(stored as Theme);
  }, []);

  function choose(next: Theme) {
    setTheme(next);
    if (next === "system") {
      window.localStorage.removeItem(THEME_STORAGE_KEY);
      delete document.documentElement.dataset.theme;
    } else {
      window.localStorage.setItem(THEME_STORAGE_KEY, next);
      document.documentElement.dataset.theme = next;
    }
  }

  return (
    <button type="button" className="theme-toggle" onClick={() => choose(nextTheme(theme))} aria-label={`${labels[theme]}. Change theme`} title="Change theme">
      {shortLabels[theme]}
    </button>
  );
}
