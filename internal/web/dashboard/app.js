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
    case "action": return "operator: " + (s.proto === "wol" ? "wake" : "action");
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
  const td = el("td");
  td.append(b);
  return td;
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
  loadMachines().then(() => { if (!selected && machines.size) select(machines.keys().next().value); }).catch(() => {});
  loadLeases();
  loadDiscovered();
  loadTimeline();
  follow();
  setInterval(renderMachines, 10000); // keeps "last seen" true
});
