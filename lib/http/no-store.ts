/** Answers about a signed-in user, or carrying secrets, must not be kept by browsers or proxies. */
export function noStore(response: Response): Response {
  response.headers.set("Cache-Control", "no-store");
  return response;
}
