/**
 * `npm run progress` says when an exercise passed on the learner's own clock: "today 10:31", or the local
 * date and time of another day, never UTC's date beside a local time.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { when } from "../src/terminal/when.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("when", () => {
  it("says today and the time for an hour of today", () => {
    const now = new Date(2026, 11, 7, 15, 0);
    expect(when(new Date(2026, 11, 7, 9, 5).toISOString(), now)).toBe("today 09:05");
  });

  it("gives another day's local date, also just after midnight east of UTC, where UTC's date is the day before", () => {
    // Node follows a change of TZ at once. In Tokyo (UTC+9), 00:30 on 7 December is 15:30 UTC on the 6th.
    vi.stubEnv("TZ", "Asia/Tokyo");
    const passed = new Date(2026, 11, 7, 0, 30);
    expect(passed.toISOString().slice(0, 10)).toBe("2026-12-06");
    expect(when(passed.toISOString(), new Date(2026, 11, 8, 12, 0))).toBe("2026-12-07 00:30");
  });

  it("gives yesterday's date, not today, to a pass from just before midnight", () => {
    const now = new Date(2026, 11, 7, 0, 1);
    expect(when(new Date(2026, 11, 6, 23, 59).toISOString(), now)).toBe("2026-12-06 23:59");
  });
});
