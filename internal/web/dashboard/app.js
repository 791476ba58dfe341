// pxed dashboard: plain DOM, no framework. Everything shown comes from the
// network (a DHCP client chooses its own host name), so text goes in with
// textContent only, never as markup.
"use strict";

const machines = new Map(); // key (MAC or ip:ADDR) → row from the API
let selected = decodeURIComponent(location.hash.slice(1));

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

// later runs f at most once per delay, for bursts of events.
function later(f, delay) {
  let t = null;
  return () => { if (t === null) t = setTimeout(() => { t = null; f(); }, delay); };
}

function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return Math.round(s) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return new Date(iso).toLocaleString();
}

function size(n) {
  if (!n) return "";
  if (n < 1024) return n + " B";
  if (n < 1 << 20) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

function renderMachines() {
  const body = document.querySelector("#machines tbody");
  const rows = [...machines.values()].sort((a, b) => Date.parse(b.last_seen) - Date.parse(a.last_seen));
  body.replaceChildren(...rows.map(m => {
    const tr = el("tr");
    tr.dataset.mac = m.mac;
    if (m.failure) tr.classList.add("failed");
    if (m.mac === selected) tr.classList.add("selected");
    tr.append(el("td", "mono", m.mac));
    const host = el("td", null, m.host || "");
    if (!m.known) host.append(" ", el("span", "badge", "discovered"));
    tr.append(host, el("td", "mono", (m.ips || [m.ip || ""]).join(" ")), el("td", null, m.arch || ""), el("td", null, m.profile || ""));
    const st = el("td", "state", m.state);
    if (m.install) st.append(el("span", "reason", m.install));
    if (m.failure) st.append(el("span", "reason", m.failure));
    tr.append(st, el("td", "seen", ago(m.last_seen)));
    tr.addEventListener("click", () => select(m.mac));
    return tr;
  }));
  document.getElementById("machine-count").textContent = rows.length ? "(" + rows.length + ")" : "";
  document.getElementById("no-machines").hidden = rows.length > 0;
}

async function loadMachines() {
  const list = await getJSON("/api/v1/machines");
  machines.clear();
  for (const m of list) machines.set(m.mac, m);
  renderMachines();
}

async function loadLeases() {
  let list;
  try {
    list = await getJSON("/api/v1/leases");
  } catch (e) {
    document.getElementById("leases-section").hidden = true; // DHCP off
    return;
  }
  const body = document.querySelector("#leases tbody");
  body.replaceChildren(...list.map(l => {
    const tr = el("tr");
    tr.dataset.family = l.family;
    const id = l.duid ? l.duid + " / " + l.iaid : "";
    tr.append(el("td", "mono", l.ip), el("td", null, l.family === "ipv6" ? "IPv6" : "IPv4"), el("td", "mono", l.mac || ""),
      el("td", "mono duid", id), el("td", null, l.hostname || ""),
      el("td", null, l.active ? l.state : l.state + " (ended)"), el("td", null, l.infinite ? "never" : new Date(l.expires).toLocaleString()));
    return tr;
  }));
  document.getElementById("lease-count").textContent = list.length ? "(" + list.length + ")" : "";
  document.getElementById("no-leases").hidden = list.length > 0;
}

async function loadDiscovered() {
  let list;
  try {
    list = await getJSON("/api/v1/discovered");
  } catch (e) {
    document.getElementById("discovered-section").hidden = true; // no catalog
    return;
  }
  const body = document.querySelector("#discovered tbody");
  body.replaceChildren(...list.map(m => {
    const tr = el("tr");
    tr.append(el("td", "mono", m.mac), el("td", null, m.arch || ""), el("td", "mono", m.uuid || ""),
      el("td", null, new Date(m.first_seen).toLocaleString()), el("td", null, ago(m.last_seen)));
    return tr;
  }));
  document.getElementById("discovered-count").textContent = list.length ? "(" + list.length + ")" : "";
  document.getElementById("no-discovered").hidden = list.length > 0;
}

// dhcp6Messages names a DHCPv6 step by its message (RFC 8415 §7.3): the
// timeline files a Solicit as a DISCOVER, an Advertise as an OFFER.
const dhcp6Messages = { DISCOVER: "Solicit", OFFER: "Advertise", REQUEST: "Request", ACK: "Reply", NAK: "Reply (refused)" };

function stepText(s) {
  if (s.proto === "dhcp6") {
    const ip = s.ip && (s.kind === "OFFER" || s.kind === "ACK") ? " " + s.ip : "";
    return "DHCPv6 " + (dhcp6Messages[s.kind] || s.kind) + ip + (s.file ? ", boot file " + s.file : "");
  }
  switch (s.kind) {
    case "file": return (s.proto || "").toUpperCase() + " " + s.file + (s.bytes ? "" : " (size probe)");
    case "file failed": return (s.proto || "").toUpperCase() + " " + s.file;
    case "OFFER": case "ACK": case "proxy OFFER": case "proxy ACK":
      return "DHCP " + s.kind + (s.ip ? " " + s.ip : "") + (s.file ? ", boot file " + s.file : "");
    case "BOOTREPLY": return "BOOTP reply" + (s.ip ? " " + s.ip : "") + (s.file ? ", boot file " + s.file : "");
    case "ignored": return "DHCP packet not answered";
    case "callback": return "installer called back";
    case "log": return "installer log"; // the line itself is the detail
    default: return (s.proto === "dhcp" ? "DHCP " : "") + s.kind;
  }
}

async function loadTimeline() {
  const section = document.getElementById("timeline-section");
  if (!selected) { section.hidden = true; return; }
  let m;
  try {
    m = await getJSON("/api/v1/machines/" + encodeURIComponent(selected));
  } catch (e) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  document.getElementById("timeline-mac").textContent = m.mac;
  document.getElementById("timeline-host").textContent = m.host || "";
  const boots = m.boots.map((b, i) => {
    const div = el("div", "boot" + (b.failure ? " failed" : ""));
    const title = (i === 0 ? "Last boot" : "Earlier boot") + ", " + new Date(b.start).toLocaleString();
    div.append(el("h3", null, b.failure ? title + " — failed: " + b.failure : title));
    const t = el("table", "steps");
    const head = el("tr");
    for (const h of ["+s", "step", "result", "size", "time"]) head.append(el("th", null, h));
    t.append(head);
    const t0 = Date.parse(b.start);
    for (const s of b.steps) {
      const tr = el("tr", s.status);
      tr.dataset.status = s.status;
      let result = s.status === "ok" ? "ok" : s.reason;
      if (s.status === "miss") result += " (expected: config search)";
      if (s.detail && s.status === "ok" && s.kind !== "file") result += " · " + s.detail;
      if (s.retransmits) result += " · " + s.retransmits + " resent";
      tr.append(el("td", "mono", ((Date.parse(s.time) - t0) / 1000).toFixed(2)), el("td", "mono", stepText(s)),
        el("td", "result", result), el("td", null, size(s.bytes)), el("td", null, s.dur_ms ? s.dur_ms.toFixed(1) + " ms" : ""));
      t.append(tr);
    }
    div.append(t);
    return div;
  });
  document.getElementById("timeline").replaceChildren(...boots);
}

function select(mac) {
  selected = mac;
  history.replaceState(null, "", "#" + encodeURIComponent(mac));
  renderMachines();
  loadTimeline();
}

const refreshMachines = later(renderMachines, 200);
const refreshTimeline = later(loadTimeline, 300);
const refreshLeases = later(loadLeases, 1000);
const refreshDiscovered = later(loadDiscovered, 1000);

function follow() {
  const live = document.getElementById("live");
  const es = new EventSource("/api/v1/events");
  es.onopen = () => {
    live.textContent = "live";
    live.className = "live on";
    // Catch up on whatever happened while not connected.
    loadMachines().catch(() => {});
    loadLeases();
    loadDiscovered();
    refreshTimeline();
  };
  es.onerror = () => { live.textContent = "reconnecting…"; live.className = "live off"; };
  es.addEventListener("step", ev => {
    const msg = JSON.parse(ev.data);
    machines.set(msg.machine.mac, msg.machine);
    refreshMachines();
    if (msg.machine.mac === selected) refreshTimeline();
    if (msg.step.kind === "ACK" || msg.step.kind === "BOOTREPLY") { refreshLeases(); refreshDiscovered(); }
    if ((msg.step.kind === "DISCOVER" || msg.step.kind === "BOOTREQUEST") && !msg.machine.known) refreshDiscovered();
  });
}

// loadScope says, when this pxed serves only DHCP or only the boot files,
// what its timelines hold (GET /api/v1/scope).
async function loadScope() {
  const s = await getJSON("/api/v1/scope");
  const span = document.getElementById("scope");
  span.textContent = s.note || "";
  span.hidden = !s.note;
}

document.addEventListener("DOMContentLoaded", () => {
  loadScope().catch(() => {});
  loadMachines().then(() => { if (!selected && machines.size) select(machines.keys().next().value); }).catch(() => {});
  loadLeases();
  loadDiscovered();
  loadTimeline();
  follow();
  setInterval(renderMachines, 10000); // keeps "last seen" true
});
