// Parse .ics files with Mozilla's ical.js (the parser Thunderbird uses) and print what a client
// would see as JSON, for tests/test_ical.py.
//
//   node parse_ics.mjs [--expand N] file.ics [more.ics …]
//
// Output: {"<file>": {calendar: {...}, items: [...]}, …} — one Node start for many files.
// Any parse error makes the process exit with status 1 and the message on stderr.
import fs from "node:fs";
import ICAL from "ical.js";

const args = process.argv.slice(2);
let expand = 60;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--expand") expand = Number(args[++i]);
  else files.push(args[i]);
}

function iso(time) {
  // A DATE as YYYY-MM-DD; a DATE-TIME as the absolute moment in UTC (ISO, "Z").
  if (!time) return null;
  if (time.isDate) return time.toString();
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function local(time) {
  // The wall-clock value as written, with its zone: "2025-05-20T09:00:00" + "Asia/Irkutsk".
  if (!time || time.isDate) return null;
  return { value: time.toString(), tzid: time.zone ? time.zone.tzid : null };
}

function address(prop) {
  return {
    value: prop.getFirstValue(),
    cn: prop.getParameter("cn") ?? null,
    role: prop.getParameter("role") ?? null,
  };
}

function alarm(comp) {
  const trigger = comp.getFirstProperty("trigger");
  const value = trigger ? trigger.getFirstValue() : null;
  const absolute = value instanceof ICAL.Time;
  return {
    action: comp.getFirstPropertyValue("action"),
    description: comp.getFirstPropertyValue("description"),
    valueType: trigger ? trigger.type : null,
    related: trigger ? trigger.getParameter("related") ?? null : null,
    absolute: absolute ? iso(value) : null,
    relative: value && !absolute ? value.toString() : null,
  };
}

function item(comp, masters) {
  const name = comp.name.toUpperCase();
  const event = name === "VEVENT" ? new ICAL.Event(comp) : null;
  const dtstart = comp.getFirstPropertyValue("dtstart");
  const dtend = comp.getFirstPropertyValue("dtend");
  const due = comp.getFirstPropertyValue("due");
  const rrule = comp.getFirstPropertyValue("rrule");
  const recurrenceId = comp.getFirstPropertyValue("recurrence-id");
  const result = {
    component: name,
    uid: comp.getFirstPropertyValue("uid"),
    summary: comp.getFirstPropertyValue("summary"),
    description: comp.getFirstPropertyValue("description"),
    categories: comp.getAllProperties("categories").flatMap((p) => p.getValues()),
    status: comp.getFirstPropertyValue("status"),
    sequence: comp.getFirstPropertyValue("sequence"),
    transp: comp.getFirstPropertyValue("transp"),
    dtstamp: iso(comp.getFirstPropertyValue("dtstamp")),
    lastModified: iso(comp.getFirstPropertyValue("last-modified")),
    isDate: dtstart ? dtstart.isDate : due ? due.isDate : null,
    dtstart: iso(dtstart),
    dtstartLocal: local(dtstart),
    dtend: iso(dtend),
    // ical.js' own idea of the end (DTEND, or DTSTART + DURATION, or DTSTART)
    endDate: event ? iso(event.endDate) : null,
    due: iso(due),
    dueLocal: local(due),
    completed: iso(comp.getFirstPropertyValue("completed")),
    percentComplete: comp.getFirstPropertyValue("percent-complete"),
    recurrenceId: recurrenceId ? iso(recurrenceId) : null,
    rrule: rrule ? rrule.toString() : null,
    occurrences: [],
    organizer: comp.getFirstProperty("organizer") ? address(comp.getFirstProperty("organizer")) : null,
    attendees: comp.getAllProperties("attendee").map(address),
    alarms: comp.getAllSubcomponents("valarm").map(alarm),
  };
  if (event && event.isRecurring() && !recurrenceId) {
    masters.set(result.uid, { event, result });
  }
  return result;
}

const output = {};
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const root = new ICAL.Component(ICAL.parse(text));
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const masters = new Map();
  const items = [];
  for (const comp of root.getAllSubcomponents()) {
    const name = comp.name.toUpperCase();
    if (name === "VEVENT" || name === "VTODO") items.push(item(comp, masters));
  }
  // Overrides (RECURRENCE-ID) belong to their series: expand each series with them applied.
  for (const comp of root.getAllSubcomponents("vevent")) {
    if (!comp.hasProperty("recurrence-id")) continue;
    const master = masters.get(comp.getFirstPropertyValue("uid"));
    if (master) master.event.relateException(new ICAL.Event(comp));
  }
  for (const { event, result } of masters.values()) {
    const iterator = event.iterator();
    let next;
    while (result.occurrences.length < expand && (next = iterator.next())) {
      const details = event.getOccurrenceDetails(next);
      result.occurrences.push({
        start: iso(details.startDate),
        end: iso(details.endDate),
        summary: details.item.summary,
        status: details.item.component.getFirstPropertyValue("status"),
      });
    }
  }
  output[file] = {
    calendar: {
      prodid: root.getFirstPropertyValue("prodid"),
      version: root.getFirstPropertyValue("version"),
      calscale: root.getFirstPropertyValue("calscale"),
      method: root.getFirstPropertyValue("method"),
      name: root.getFirstPropertyValue("x-wr-calname"),
      timezone: root.getFirstPropertyValue("x-wr-timezone"),
      vtimezones: root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
    },
    items,
  };
}
process.stdout.write(JSON.stringify(output));
