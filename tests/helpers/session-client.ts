// Signs in to the dashboard over real HTTP the way a browser does (next-auth credentials flow) and keeps
// the session cookie, so integration tests can call session-authenticated routes as a given user.

export class SessionClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const separator = pair?.indexOf("=") ?? -1;
      if (pair && separator > 0) this.cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
  }

  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", this.cookieHeader());
    const response = await fetch(new URL(pathname, this.baseUrl), { ...init, headers, redirect: "manual" });
    this.remember(response);
    return response;
  }

  async json<T>(pathname: string, init: RequestInit & { body?: string } = {}): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined) headers.set("content-type", "application/json");
    const response = await this.fetch(pathname, { ...init, headers });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Returns true when next-auth accepted the credentials and set a session cookie. */
  async signIn(email: string, password: string): Promise<boolean> {
    const csrf = await this.json<{ csrfToken: string }>("/api/auth/csrf");
    const response = await this.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, email, password, json: "true" }).toString(),
    });
    await response.text();
    return [...this.cookies.keys()].some((name) => name.endsWith("next-auth.session-token"));
  }
}
