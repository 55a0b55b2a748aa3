// Expand every VEVENT of an iCalendar file with ical.js and print the occurrences as JSON.
//
// Usage: node occurrences.mjs FILE.ics [FROM TO]
//   FROM, TO: UTC instants (ISO 8601, e.g. 2027-01-01T00:00:00Z); occurrences that start
//   at or after FROM and before TO are printed. Without them, every occurrence is printed
//   (up to a safety bound).
//
// Output: {"ical_js": VERSION, "occurrences": [{uid, summary, categories, all_day,
//          utc, local, tzid}, ...]} where utc is the start instant as an ISO string (null
//          for all-day events), local the wall-clock start as ICAL.Time prints it, and tzid
//          the start's zone. The file's own VTIMEZONEs are registered first, so TZID
//          parameters resolve to the exporter's rules, not to anything built in.
//
// The test suite (tests/calendar_clients.py) runs this and compares every instant with
// the plan; keep the output shape in step with it.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const MAX_OCCURRENCES = 200000;

function main(argv) {
  if (argv.length !== 1 && argv.length !== 3) {
    process.stderr.write("usage: node occurrences.mjs FILE.ics [FROM TO]\n");
    return 2;
  }
  const text = readFileSync(argv[0], "utf8");
  const from = argv.length === 3 ? Date.parse(argv[1]) : -Infinity;
  const to = argv.length === 3 ? Date.parse(argv[2]) : Infinity;
  if (Number.isNaN(from) || Number.isNaN(to)) {
    process.stderr.write("FROM and TO must be ISO 8601 instants\n");
    return 2;
  }

  const root = new ICAL.Component(ICAL.parse(text));
  const calendars = root.name === "vcalendar" ? [root] : root.getAllSubcomponents("vcalendar");
  const occurrences = [];
  for (const calendar of calendars) {
    for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(vtimezone);
    }
  }
  for (const calendar of calendars) {
    // Parse the events only now, after every zone is registered, so TZIDs resolve.
    const masters = new Map();
    const exceptions = [];
    for (const component of calendar.getAllSubcomponents("vevent")) {
      const event = new ICAL.Event(component, { strictExceptions: true });
      if (event.isRecurrenceException()) {
        exceptions.push(event);
      } else {
        masters.set(event.uid, event);
      }
    }
    for (const exception of exceptions) {
      const master = masters.get(exception.uid);
      if (master === undefined) {
        throw new Error(`RECURRENCE-ID without a master event: ${exception.uid}`);
      }
      master.relateException(exception);
    }
    for (const event of masters.values()) {
      expand(event, from, to, occurrences);
    }
  }
  const manifest = new URL("./node_modules/ical.js/package.json", import.meta.url);
  const version = JSON.parse(readFileSync(manifest, "utf8")).version;
  process.stdout.write(JSON.stringify({ ical_js: version, occurrences }) + "\n");
  return 0;
}

function categoriesOf(component) {
  const result = [];
  for (const property of component.getAllProperties("categories")) {
    for (const value of property.getValues()) {
      result.push(String(value));
    }
  }
  return result;
}

function record(event, item, start, out) {
  const allDay = start.isDate;
  const zone = start.zone;
  out.push({
    uid: event.uid,
    summary: item.summary,
    categories: categoriesOf(item.component),
    all_day: allDay,
    utc: allDay ? null : start.toJSDate().toISOString(),
    local: start.toString(),
    tzid: allDay ? null : zone ? zone.tzid : null,
  });
}

function expand(event, from, to, out) {
  if (!event.isRecurring()) {
    const start = event.startDate;
    const instant = start.toJSDate().getTime();
    if (instant >= from && instant < to) {
      record(event, event, start, out);
    }
    return;
  }
  const iterator = event.iterator();
  let count = 0;
  for (let next = iterator.next(); next; next = iterator.next()) {
    if (++count > MAX_OCCURRENCES) {
      throw new Error(`more than ${MAX_OCCURRENCES} occurrences of ${event.uid}`);
    }
    const details = event.getOccurrenceDetails(next);
    const instant = details.startDate.toJSDate().getTime();
    if (next.toJSDate().getTime() >= to && instant >= to) {
      break;
    }
    if (instant >= from && instant < to) {
      record(event, details.item, details.startDate, out);
    }
  }
}

process.exitCode = main(process.argv.slice(2));
