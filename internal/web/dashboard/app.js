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
  viewsDiscovered(list);
  const body = document.querySelector("#discovered tbody");
  body.replaceChildren(...list.map(m => {
    const tr = el("tr");
    tr.append(el("td", "mono", m.mac), el("td", null, m.arch || ""), el("td", "mono", m.uuid || ""),
      el("td", null, new Date(m.first_seen).toLocaleString()), el("td", null, ago(m.last_seen)), adoptCell(m));
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
    case "adopted": return "adopted as a host";
    case "action": return "operator: " + (s.proto === "wol" ? "wake" : s.proto === "agent" ? "order to the agent" : "action");
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
  showHostActions(m);
  lastBoot = m.boots.length ? m.boots[0] : null;
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
      if (s.by) result += " · by " + s.by;
      tr.append(el("td", "mono", ((Date.parse(s.time) - t0) / 1000).toFixed(2)), el("td", "mono", stepText(s)),
        el("td", "result", result), el("td", null, size(s.bytes)), el("td", null, s.dur_ms ? s.dur_ms.toFixed(1) + " ms" : ""));
      t.append(tr);
    }
    div.append(waterfall(b, i === 0 ? runningOf(m.mac) : []), t);
    return div;
  });
  document.getElementById("timeline").replaceChildren(...boots);
  renderInventory(m.mac);
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
    viewsStep(msg.step);
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

// loadReload warns when the config file's last reload was refused: the
// running config is then not the file's (GET /api/v1/reload). Problems
// are set as text, never as HTML.
async function loadReload() {
  const r = await getJSON("/api/v1/reload");
  const p = document.getElementById("reload-banner");
  p.hidden = r.applied;
  if (!r.applied) {
    p.textContent = "The config file's reload at " + new Date(r.at).toLocaleString() +
      " was refused; the config read before still serves.\n" + (r.problems || []).join("\n");
  }
}

// --- actions ---
// Operator actions (docs/discovery.md, "Acting on machines"): adopt a
// discovered machine, change a host's profile, reinstall it, wake it. A
// write carries the API token as a Bearer header. The token is asked once
// and kept in this tab's sessionStorage, never in a cookie, so a page of
// another site cannot make the browser send it; pxed refuses cross-origin
// writes as well.

const tokenKey = "pxed-api-token";

// askToken shows the token dialog and resolves with what was typed.
function askToken() {
  return new Promise((resolve, reject) => {
    const d = document.getElementById("token-dialog");
    const input = document.getElementById("token-input");
    const ok = document.getElementById("token-ok");
    const cancel = document.getElementById("token-cancel");
    input.value = "";
    const finish = given => {
      ok.removeEventListener("click", onOK);
      cancel.removeEventListener("click", onCancel);
      input.removeEventListener("keydown", onKey);
      d.removeEventListener("cancel", onCancel);
      if (d.open) d.close();
      const tok = input.value.trim();
      input.value = "";
      if (given && tok) resolve(tok); else reject(new Error("no API token given"));
    };
    const onOK = () => finish(true);
    const onCancel = () => finish(false);
    const onKey = e => { if (e.key === "Enter") { e.preventDefault(); finish(true); } };
    ok.addEventListener("click", onOK);
    cancel.addEventListener("click", onCancel);
    input.addEventListener("keydown", onKey);
    d.addEventListener("cancel", onCancel);
    d.showModal();
    input.focus();
  });
}

async function apiToken() {
  let tok = sessionStorage.getItem(tokenKey);
  if (!tok) {
    tok = await askToken();
    sessionStorage.setItem(tokenKey, tok);
  }
  return tok;
}

// write POSTs body (JSON, if given) to path with the token and answers the
// decoded reply; an error carries pxed's reason. A refused token is
// forgotten, so that the next write asks again.
async function write(path, body) {
  const headers = { Accept: "application/json", Authorization: "Bearer " + await apiToken(), "X-Pxed-Actor": "dashboard" };
  // credentials "omit": the Bearer header is the credential; a refused
  // token then does not make the browser prompt for Basic credentials.
  const init = { method: "POST", headers, credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let data = null;
  try { data = await r.json(); } catch (e) { /* no body */ }
  if (r.status === 401) sessionStorage.removeItem(tokenKey);
  if (!r.ok) throw new Error((data && data.error) || "HTTP " + r.status);
  return data;
}

function actionStatus(msg, isError) {
  const s = document.getElementById("action-status");
  s.textContent = msg;
  s.className = "action-status" + (isError ? " error" : "");
  s.hidden = false;
  clearTimeout(actionStatus.timer);
  actionStatus.timer = setTimeout(() => { s.hidden = true; }, 8000);
}

// act runs f, an action that answers what it did, and says how it went.
async function act(what, f) {
  try {
    actionStatus(await f(), false);
  } catch (e) {
    actionStatus(what + ": " + e.message, true);
  }
}

let profileNames = [];
async function loadProfiles() {
  try {
    profileNames = (await getJSON("/api/v1/profiles")).map(p => p.name);
  } catch (e) {
    profileNames = [];
  }
}

function fillProfiles(sel, current) {
  sel.replaceChildren(...profileNames.map(n => {
    const o = el("option", null, n);
    o.value = n;
    o.selected = n === current;
    return o;
  }));
}

function adoptCell(m) {
  const b = el("button", "adopt", "Adopt");
  b.type = "button";
  b.dataset.mac = m.mac;
  b.addEventListener("click", () => openAdopt(m.mac));
  const off = el("button", "poweroff", "Power off");
  off.type = "button";
  off.dataset.mac = m.mac;
  off.title = "tell its discovery agent to switch it off (click twice)";
  off.addEventListener("click", () => powerOff(off, m.mac));
  const td = el("td");
  td.append(b, " ", off);
  return td;
}

// powerOff asks to be clicked twice, then orders the machine's discovery
// agent to switch it off at its next poll.
async function powerOff(b, mac) {
  if (!b.classList.contains("confirm")) {
    b.classList.add("confirm");
    b.textContent = "Confirm power off";
    setTimeout(() => { b.classList.remove("confirm"); b.textContent = "Power off"; }, 5000);
    return;
  }
  b.classList.remove("confirm");
  b.textContent = "Power off";
  await act("Power off " + mac, async () => {
    await write("/api/v1/discovered/" + encodeURIComponent(mac) + "/poweroff");
    return mac + " switches off at its agent's next poll";
  });
}

let adoptMAC = "";
async function openAdopt(mac) {
  adoptMAC = mac;
  await loadProfiles();
  document.getElementById("adopt-mac").textContent = mac;
  document.getElementById("adopt-name").value = "";
  fillProfiles(document.getElementById("adopt-profile"), "");
  document.getElementById("adopt-dialog").showModal();
  document.getElementById("adopt-name").focus();
}

async function adopt() {
  const name = document.getElementById("adopt-name").value.trim();
  const profile = document.getElementById("adopt-profile").value;
  if (!name) { actionStatus("Adopt: give the machine a host name", true); return; }
  document.getElementById("adopt-dialog").close();
  const mac = adoptMAC;
  await act("Adopt " + mac, async () => {
    const h = await write("/api/v1/discovered/" + encodeURIComponent(mac) + "/adopt", { name, profile });
    loadDiscovered();
    loadMachines().then(() => select(mac)).catch(() => {});
    return "Adopted " + mac + " as " + h.name + (profile ? ", profile " + profile : "");
  });
}

// showHostActions shows the buttons for the machine m of the timeline, when
// it is a host.
function showHostActions(m) {
  const bar = document.getElementById("host-actions");
  const host = m.known ? m.host : "";
  bar.hidden = !host;
  if (bar.dataset.host === host) return; // a refresh: keep what is being chosen
  bar.dataset.host = host;
  disarmReinstall();
  if (host) loadProfiles().then(() => fillProfiles(document.getElementById("act-profile"), m.profile));
}

function hostPath(verb) {
  return "/api/v1/hosts/" + encodeURIComponent(document.getElementById("host-actions").dataset.host) + "/" + verb;
}

// Reinstall asks to be clicked twice: it makes the machine install again.
let reinstallTimer = null;
function disarmReinstall() {
  const b = document.getElementById("act-reinstall");
  clearTimeout(reinstallTimer);
  b.classList.remove("confirm");
  b.textContent = "Reinstall";
}

async function reinstall() {
  const b = document.getElementById("act-reinstall");
  if (!b.classList.contains("confirm")) {
    b.classList.add("confirm");
    b.textContent = "Confirm reinstall";
    reinstallTimer = setTimeout(disarmReinstall, 5000);
    return;
  }
  disarmReinstall();
  const host = document.getElementById("host-actions").dataset.host;
  await act("Reinstall " + host, async () => {
    const r = await write(hostPath("reinstall"));
    refreshTimeline();
    return host + " installs again at its next boot" + (r.wake ? "; woken (" + r.wake.sent_to.join(", ") + ")" : "; not woken: " + r.wake_error);
  });
}

function initActions() {
  document.getElementById("adopt-ok").addEventListener("click", adopt);
  document.getElementById("adopt-name").addEventListener("keydown", e => { if (e.key === "Enter") { e.preventDefault(); adopt(); } });
  document.getElementById("adopt-cancel").addEventListener("click", () => document.getElementById("adopt-dialog").close());
  document.getElementById("act-reinstall").addEventListener("click", reinstall);
  document.getElementById("act-set-profile").addEventListener("click", () => {
    const profile = document.getElementById("act-profile").value;
    const host = document.getElementById("host-actions").dataset.host;
    act("Change profile of " + host, async () => {
      await write(hostPath("profile"), { profile });
      loadMachines().catch(() => {});
      refreshTimeline();
      return host + " boots " + profile + " from its next boot";
    });
  });
  document.getElementById("act-wake").addEventListener("click", () => {
    const host = document.getElementById("host-actions").dataset.host;
    act("Wake " + host, async () => {
      const w = await write(hostPath("wake"));
      refreshTimeline();
      return "Magic packet for " + host + " sent to " + w.sent_to.join(", ");
    });
  });
}
document.addEventListener("DOMContentLoaded", initActions);
// --- end of actions ---

document.addEventListener("DOMContentLoaded", () => {
  loadScope().catch(() => {});
  loadReload().catch(() => {});
  setInterval(() => loadReload().catch(() => {}), 15000);
  loadMachines().then(() => { if (!selected && machines.size) select(machines.keys().next().value); }).catch(() => {});
  loadLeases();
  loadDiscovered();
  loadTimeline();
  follow();
  setInterval(renderMachines, 10000); // keeps "last seen" true
});

// --- views ---
// The boot waterfall, transfers in flight, pool use and the machine's
// inventory (issue 19 item 7). Text from the network goes in as
// textContent; positions are set through the CSSOM (el.style), which the
// page's Content-Security-Policy allows where style attributes are not.

const discoveredByMAC = new Map(); // MAC → catalog.Machine (GET /api/v1/discovered)

function viewsDiscovered(list) {
  discoveredByMAC.clear();
  for (const m of list) discoveredByMAC.set(m.mac, m);
  if (selected) renderInventory(selected);
}

function pct(x) { return (Math.max(0, Math.min(1, x)) * 100).toFixed(3) + "%"; }

let lastBoot = null;   // the selected machine's last boot, as last fetched
let inflightNow = [];  // GET /api/v1/transfers, as last fetched

// runningOf is the transfers in flight to machine mac.
function runningOf(mac) { return inflightNow.filter(t => t.mac === mac); }

// waterfall draws a boot as a browser's network panel does: one bar per
// step on a time axis from the boot's first step to its last. A step's
// time is when it ended; a transfer's bar starts its duration earlier.
// Transfers still running (the last boot's) are drawn up to now, striped;
// one the timeline already has as a step is not drawn twice.
function waterfall(b, running) {
  const spans = b.steps.map(s => {
    const end = Date.parse(s.time);
    return { s, start: end - (s.dur_ms || 0), end };
  });
  for (const t of running || []) {
    const start = Date.parse(t.started);
    if (spans.some(x => x.s.file === t.file && x.end >= start)) continue;
    spans.push({ s: { kind: "file", proto: t.proto, file: t.file, bytes: t.sent, status: "running", reason: "in flight" },
      start, end: Math.max(start + 1, Date.now()) });
  }
  const t0 = Math.min(Date.parse(b.start), ...spans.map(x => x.start));
  const t1 = Math.max(t0 + 1, ...spans.map(x => x.end));
  const total = t1 - t0;
  const wf = el("div", "waterfall");
  wf.setAttribute("role", "img");
  wf.setAttribute("aria-label", "boot waterfall, " + (total / 1000).toFixed(2) + " s");
  const axis = el("div", "wf-axis");
  for (let i = 0; i <= 4; i++) {
    const tick = el("span", "wf-tick", ((total * i / 4) / 1000).toFixed(2) + " s");
    tick.style.left = pct(i / 4);
    axis.append(tick);
  }
  const head = el("div", "wf-row wf-head");
  head.append(el("span", "wf-label", "step"), axis);
  wf.append(head);
  for (const { s, start, end } of spans) {
    const row = el("div", "wf-row " + s.status);
    row.append(el("span", "wf-label mono", stepText(s)));
    const track = el("div", "wf-track");
    const bar = el("div", "wf-bar " + s.status + (s.dur_ms || s.status === "running" ? "" : " instant"));
    bar.dataset.status = s.status;
    bar.style.left = pct((start - t0) / total);
    bar.style.width = pct((end - start) / total);
    bar.title = stepText(s) + ": " + (s.status === "ok" ? "ok" : s.reason || s.status) +
      (s.dur_ms ? ", " + s.dur_ms.toFixed(1) + " ms" : "") + (s.bytes ? ", " + size(s.bytes) : "");
    track.append(bar);
    row.append(track);
    wf.append(row);
  }
  return wf;
}

// Transfers in flight: a progress bar each, bytes sent of the size the
// client was told. Polled while the page is visible: faster while any
// runs.
let transfersTimer = null;

async function loadTransfers() {
  clearTimeout(transfersTimer);
  let list = [];
  try {
    list = (await getJSON("/api/v1/transfers")).transfers || [];
  } catch (e) {
    document.getElementById("transfers-section").hidden = true;
    return;
  }
  document.getElementById("transfers-section").hidden = false;
  const body = document.querySelector("#transfers tbody");
  body.replaceChildren(...list.map(t => {
    const tr = el("tr");
    tr.dataset.file = t.file;
    tr.dataset.mac = t.mac || "";
    const who = machines.get(t.mac);
    tr.append(el("td", "mono", t.mac || t.ip), el("td", null, who && who.host ? who.host : ""),
      el("td", null, t.proto.toUpperCase()), el("td", "mono", t.file));
    const cell = el("td", "progress");
    const bar = el("progress");
    const secs = Math.max(0.001, (Date.now() - Date.parse(t.started)) / 1000);
    const rate = size(Math.round(t.sent / secs));
    if (t.size > 0) {
      bar.max = t.size;
      bar.value = Math.min(t.sent, t.size);
      cell.append(bar, el("span", "muted", " " + Math.floor(100 * t.sent / t.size) + " % · " +
        (size(t.sent) || "0 B") + " of " + size(t.size) + (rate ? " · " + rate + "/s" : "")));
    } else {
      cell.append(bar, el("span", "muted", " " + (size(t.sent) || "0 B") + " (size not told)")); // indeterminate
    }
    tr.append(cell);
    return tr;
  }));
  // The selected machine's running transfers grow in its last boot's
  // waterfall, drawn again whenever it has any or just had some.
  const had = selected && runningOf(selected).length > 0;
  inflightNow = list;
  if (selected && lastBoot && (had || runningOf(selected).length)) {
    const old = document.querySelector("#timeline .boot .waterfall");
    if (old) old.replaceWith(waterfall(lastBoot, runningOf(selected)));
  }
  document.getElementById("transfer-count").textContent = list.length ? "(" + list.length + ")" : "";
  document.getElementById("no-transfers").hidden = list.length > 0;
  transfersTimer = setTimeout(loadTransfers, document.hidden ? 10000 : list.length ? 500 : 2000);
}

// Pools: each pool's use as a bar, with the addresses held back after a
// DECLINE or a conflict probe (squatters) marked and listed, and the
// reservations another machine answered for.
async function loadPools() {
  let p;
  try {
    p = await getJSON("/api/v1/pools");
  } catch (e) {
    document.getElementById("pools-section").hidden = true; // DHCP off
    return;
  }
  document.getElementById("pools-section").hidden = false;
  const totals = [];
  if (p.declines) totals.push(p.declines + " DECLINE" + (p.declines === 1 ? "" : "s") + " received");
  if (p.conflicts) totals.push(p.conflicts + " store conflict" + (p.conflicts === 1 ? "" : "s"));
  document.getElementById("pool-totals").textContent = totals.join(" · ");
  const list = document.getElementById("pools");
  list.replaceChildren(...p.pools.map(pl => {
    const div = el("div", "pool");
    div.dataset.first = pl.first;
    const total = pl.in_use + pl.free;
    const squat = pl.squatters.length;
    div.append(el("div", "pool-name mono", pl.first + " – " + pl.last), el("span", "muted", " " + pl.subnet));
    const bar = el("div", "pool-bar");
    bar.setAttribute("role", "meter");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(pl.in_use));
    const used = el("div", "pool-used");
    used.style.width = pct(total ? (pl.in_use - squat) / total : 0);
    const held = el("div", "pool-squat");
    held.style.width = pct(total ? squat / total : 0);
    bar.append(used, held);
    div.append(bar);
    let text = pl.in_use + " of " + total + " in use (" + (total ? Math.round(100 * pl.in_use / total) : 0) + " %)";
    const probed = pl.squatters.filter(s => s.found_by).length;
    if (squat - probed) text += " · " + (squat - probed) + " held back after a DECLINE";
    if (probed) text += " · " + probed + " held back: in use (probe)";
    if (pl.declines) text += " · " + pl.declines + " declined in all";
    div.append(el("div", "pool-text", text));
    if (squat) {
      const ul = el("ul", "squatters");
      for (const s of pl.squatters) {
        const who = s.found_by
          ? " answered a " + s.found_by.toUpperCase() + " probe" + (s.mac ? " from " + s.mac : "")
          : (s.mac ? " declined by " + s.mac : "");
        const li = el("li", "mono", s.ip + who + ", held until " + new Date(s.until).toLocaleString());
        ul.append(li);
      }
      div.append(ul);
    }
    return div;
  }));
  const rs = p.reservation_squatters || [];
  if (rs.length) {
    const div = el("div", "pool");
    div.append(el("div", "pool-name", "Reserved addresses answered by another machine"));
    const ul = el("ul", "squatters");
    for (const r of rs) {
      const who = r.mac ? r.mac : "a machine (ICMP cannot tell which)";
      ul.append(el("li", "mono", r.ip + " (" + r.host + (r.reserved_mac ? ", " + r.reserved_mac : "") + ") answered by " + who +
        " over " + r.found_by.toUpperCase() + ", seen " + new Date(r.seen).toLocaleString()));
    }
    div.append(ul);
    list.append(div);
  }
  document.getElementById("no-pools").hidden = p.pools.length > 0;
}

const refreshPools = later(loadPools, 1000);

function viewsStep(step) {
  if (step.kind === "ACK" || step.kind === "BOOTREPLY" || step.kind === "DECLINE" || step.kind === "NAK" || step.kind === "RELEASE") refreshPools();
  // A transfer may have started since the last look.
  if (step.kind === "ACK" || step.kind === "file" || step.kind === "file failed") loadTransfers();
}

function fmtBytes(n) {
  if (!n) return "";
  const gib = n / 1073741824;
  return gib >= 1 ? (Number.isInteger(gib) ? gib : gib.toFixed(1)) + " GiB" : Math.round(n / 1048576) + " MiB";
}

// renderInventory shows what a machine's discovery boot reported of its
// hardware, and the rule that matched it, when the catalog has it.
function renderInventory(mac) {
  const box = document.getElementById("inventory");
  const m = discoveredByMAC.get(mac);
  const inv = m && m.inventory;
  if (!inv) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  const dl = el("dl", "facts");
  const fact = (k, v) => { if (v !== undefined && v !== null && v !== "") dl.append(el("dt", null, k), el("dd", null, v)); };
  const d = inv.dmi || {};
  fact("System", [d.vendor, d.product].filter(Boolean).join(" "));
  fact("Serial", d.serial);
  fact("UUID", d.uuid);
  const fw = inv.firmware || {};
  fact("Firmware", (fw.mode || "").toUpperCase() + (fw.mode === "uefi" ? ", Secure Boot " + (fw.secure_boot ? "on" : "off") : ""));
  const c = inv.cpu || {};
  fact("CPU", [c.model, c.sockets ? c.sockets + " socket" + (c.sockets > 1 ? "s" : "") : "", c.cores ? c.cores + " cores" : "",
    c.threads ? c.threads + " threads" : ""].filter(Boolean).join(", "));
  fact("Memory", fmtBytes(inv.memory_bytes));
  fact("Rule", m.rule || "none matched (adopt by hand)");
  if (inv.collected) fact("Reported", new Date(inv.collected).toLocaleString());
  const h = el("h3", null, "Inventory");
  const parts = [h, dl];
  if (inv.disks && inv.disks.length) {
    const t = el("table", "inv-disks");
    const head = el("tr");
    for (const x of ["disk", "size", "model", "serial", "kind"]) head.append(el("th", null, x));
    t.append(head);
    for (const k of inv.disks) {
      const tr = el("tr");
      tr.append(el("td", "mono", k.name), el("td", null, fmtBytes(k.size_bytes)), el("td", null, k.model || ""),
        el("td", "mono", k.serial || ""), el("td", null, k.rotational ? "rotational" : "solid state"));
      t.append(tr);
    }
    parts.push(t);
  }
  if (inv.nics && inv.nics.length) {
    const t = el("table", "inv-nics");
    const head = el("tr");
    for (const x of ["NIC", "MAC", "driver", "link", ""]) head.append(el("th", null, x));
    t.append(head);
    for (const n of inv.nics) {
      const tr = el("tr");
      tr.append(el("td", "mono", n.name), el("td", "mono", n.mac), el("td", null, n.driver || ""),
        el("td", null, n.speed_mbps ? n.speed_mbps + " Mb/s" : ""), el("td", null, n.booted ? "booted" : ""));
      t.append(tr);
    }
    parts.push(t);
  }
  box.replaceChildren(...parts);
}

document.addEventListener("DOMContentLoaded", () => {
  loadTransfers();
  loadPools();
  setInterval(loadPools, 15000); // holds end by themselves
  document.addEventListener("visibilitychange", () => { if (!document.hidden) loadTransfers(); });
});
// --- end views ---
