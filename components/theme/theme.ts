// The visitor's theme choice: "system" follows prefers-color-scheme; "light" and "dark" pin it. Stored in
// localStorage and applied as <html data-theme>, which globals.css reads.
export const THEMES = ["system", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];
export const THEME_STORAGE_KEY = "tollgate-theme";

export function nextTheme(theme: Theme): Theme {
  return THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length] ?? "system";
}

/** Runs before the page paints (inlined in <head>), so a pinned theme never flashes the other one. */
export const applyStoredThemeScript = `try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});if(t==="light"||t==="dark")document.documentElement.dataset.theme=t}catch(e){}`;
