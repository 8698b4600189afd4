/**
 * When something happened, in the learner's words and on their clock: "today 10:31", or "2026-12-06 23:59"
 * for another day. Both the date and the time are local: an ISO string's date is UTC's, which is another day
 * than the learner's near midnight anywhere but in UTC.
 */
export function when(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
  if (date.toDateString() === now.toDateString()) return `today ${time}`;
  const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
  return `${day} ${time}`;
}
