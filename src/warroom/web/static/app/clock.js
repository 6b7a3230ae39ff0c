/**
 * Time helpers for Makassar. WITA (Asia/Makassar) is UTC+8 all year with no daylight saving,
 * so a fixed offset is exact and does not depend on the wall display's own time zone setting.
 */

const WITA_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A Date shifted so that its getUTC* fields read as WITA wall-clock time. */
function asWita(date) {
  return new Date(date.getTime() + WITA_OFFSET_MS);
}

const pad = (n) => String(n).padStart(2, "0");

/** "HH:MM:SS" in WITA. */
export function formatWitaTime(date) {
  const w = asWita(date);
  return `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`;
}

/** "Fri 27 Nov 2026" in WITA. */
export function formatWitaDate(date) {
  const w = asWita(date);
  return `${DAYS[w.getUTCDay()]} ${w.getUTCDate()} ${MONTHS[w.getUTCMonth()]} ${w.getUTCFullYear()}`;
}

/** Tick the top-bar clock, aligned to the start of each second. */
export function startClock(timeEl, dateEl) {
  const tick = () => {
    const now = new Date();
    timeEl.textContent = formatWitaTime(now);
    timeEl.dateTime = now.toISOString();
    dateEl.textContent = formatWitaDate(now);
    setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  tick();
}
