/** A password as a query parameter (`?password=`, `?sslpassword=`, as the PostgreSQL driver takes). */
const PASSWORD_PARAM = /([?&](?:ssl)?password=)[^&#]*/gi;

/** The URL without its passwords (in the user info or as a query parameter), for messages and reports. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(PASSWORD_PARAM, '$1***');
}

/** True for a URL {@link redactUrl} took a password out of. */
export function isRedacted(url: string): boolean {
  return /\/\/[^:/@]*:\*\*\*@/.test(url) || /[?&](?:ssl)?password=\*\*\*(?:&|#|$)/i.test(url);
}
