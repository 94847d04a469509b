// The bell in the navigation: unread notifications. (Skeleton: filled in by issue 17's work.)
/** The bell for the signed-in user, or null when nobody is signed in. */
export function notificationBell(): HTMLElement | null {
  return null;
}
