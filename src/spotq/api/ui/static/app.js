// The spotq dashboard: polls GET /v1/overview and draws it. No framework, no build step; user
// text (errors, file names) only ever goes into textContent, never into markup.
"use strict";

const POLL_MS = 2000;
const JOBS_SHOWN = 20;
const KEY_STORE = "spotq-api-key";
let selectedJob = null;
let lastOverview = null;

function apiKey() {
  return sessionStorage.getItem(KEY_STORE);
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const key = apiKey();
  if (key) headers.Authorization = "Bearer " + key;
  const reply = await fetch(path, Object.assign({}, options, { headers }));
  if (reply.status === 401) {
    document.getElementById("key-form").hidden = false;
    throw new Error("this API needs a key");
  }
  if (!reply.ok) {
    let detail = reply.statusText;
    try { detail = (await reply.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(reply.status + ": " + detail);
  }
  return reply.json();
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function fillDl(id, pairs) {
  const dl = document.getElementById(id);
  dl.replaceChildren();
  for (const [name, value, cls] of pairs) {
    dl.append(el("dt", name), el("dd", value, cls || ("v-" + name.replace(/ /g, "-"))));
  }
}

function fillTable(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows);
}

function ago(at_s, now_s) {
  if (at_s === null || at_s === undefined) return "–";
  const s = Math.max(0, now_s - at_s);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function secs(a, b) {
  return a === null || b === null || a === undefined || b === undefined ? "–" : (b - a).toFixed(2) + " s";
}

// Finished jobs (succeeded + failed + dead) per minute, from consecutive samples.
function throughputSeries(history) {
  const points = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1], b = history[i];
    const dt = b.at_s - a.at_s;
    const done = (b.succeeded + b.failed + b.dead) - (a.succeeded + a.failed + a.dead);
    if (dt > 0) points.push([b.at_s, Math.max(0, done) * 60 / dt]);
  }
  return points;
}

function finishedInWindow(history) {
  if (history.length < 2) return 0;
  const a = history[0], b = history[history.length - 1];
  return Math.max(0, (b.succeeded + b.failed + b.dead) - (a.succeeded + a.failed + a.dead));
}

// A line chart on a shared time axis (the last hour, or less if the API started since).
function drawChart(id, series, now_s) {
  const svg = document.getElementById(id);
  const W = 400, H = 140, L = 34, B = 16;
  const t0 = now_s - 3600;
  const start = Math.max(t0, Math.min(...series.flatMap(s => s.points.map(p => p[0])), now_s - 60));
  let ymax = 1;
  for (const s of series) for (const p of s.points) ymax = Math.max(ymax, p[1]);
  const x = t => L + (W - L - 4) * (t - start) / Math.max(1, now_s - start);
  const y = v => (H - B) - (H - B - 6) * v / ymax;
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const axis = document.createElementNS(ns, "path");
  axis.setAttribute("d", `M${L},4 L${L},${H - B} L${W},${H - B}`);
  axis.setAttribute("class", "axis");
  svg.append(axis);
  for (const [text, tx, ty, anchor] of [[String(Math.round(ymax * 10) / 10), L - 3, 12, "end"], ["0", L - 3, H - B, "end"],
    [ago(start, now_s), L, H - 3, "start"], ["now", W - 2, H - 3, "end"]]) {
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", tx); label.setAttribute("y", ty); label.setAttribute("text-anchor", anchor);
    label.textContent = text;
    svg.append(label);
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", s.points.map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" "));
    line.setAttribute("class", "line " + s.cls);
    line.setAttribute("data-series", s.cls);
    svg.append(line);
  }
}

function field(history, name) {
  return history.filter(h => h[name] !== null && h[name] !== undefined).map(h => [h.at_s, h[name]]);
}

function render(o) {
  lastOverview = o;
  document.getElementById("app-name").textContent = o.app;
  fillDl("jobs", Object.entries(o.jobs));
  const inHour = finishedInWindow(o.history);
  const series = throughputSeries(o.history);
  const perMin = series.length ? series[series.length - 1][1] : 0;
  fillDl("throughput", [["finished (window)", inHour], ["per minute now", perMin.toFixed(1)]]);
  const none = { visible: 0, in_flight: 0 };
  const q = o.queues || { normal: none, high: none, dlq: none };
  document.getElementById("problems").textContent = o.problems.join("; ");
  const visible = q.normal.visible + q.high.visible, inFlight = q.normal.in_flight + q.high.in_flight;
  fillDl("queue", [["visible", visible], ["in flight", inFlight], ["dlq", q.dlq.visible + q.dlq.in_flight]]);
  const f = o.fleet;
  fillDl("fleet", f ? [["starting", f.starting], ["idle", f.idle], ["busy", f.busy], ["draining", f.draining],
    ["desired", f.desired], ["peak", f.peak_workers]] : [["fleet", "not local (no fleet.json)"]]);
  drawChart("chart-throughput", [{ cls: "done", points: series }], o.now_s);
  drawChart("chart-queue", ["visible", "in_flight", "dlq"].map(n => ({ cls: n, points: field(o.history, n) })), o.now_s);
  drawChart("chart-workers", ["busy", "idle", "starting", "desired"].map(n => ({ cls: n, points: field(o.history, n) })), o.now_s);
  fillTable("failures", o.recent_failures.map(j => jobRow(j.id, [j.state, j.attempts, j.last_error || ""])));
  document.getElementById("dlq-depth").textContent = String(q.dlq.visible + q.dlq.in_flight);
  document.getElementById("redrive").disabled = q.dlq.visible === 0;
  document.getElementById("worker-logs").textContent = o.worker_logs ? "Worker logs: " + o.worker_logs : "";
  fillDl("phases", phaseMeans(o.workers));
  fillTable("workers", o.workers.map(w => {
    const tr = el("tr");
    const m = w.metrics || {};
    const handle = (m.phases || {}).handle_s;
    const cells = [w.number, w.state, w.pid, m.jobs_succeeded ?? w.jobs_done, failedOf(m) ?? w.jobs_failed,
      m.busy_fraction === undefined ? "–" : Math.round(m.busy_fraction * 100) + "%",
      m.rss_bytes ? Math.round(m.rss_bytes / 1048576) + " MiB" : "–",
      handle && handle.count ? (handle.sum / handle.count).toFixed(3) + " s" : "–"];
    for (const v of cells) tr.append(el("td", v ?? "–"));
    tr.dataset.state = w.state;
    return tr;
  }));
}

function failedOf(m) {
  if (!m.jobs_failed) return undefined;
  return Object.values(m.jobs_failed).reduce((a, b) => a + b, 0);
}

// Mean seconds per job in each phase, over every worker's totals.
function phaseMeans(workers) {
  const names = [["queue_wait_s", "queue wait"], ["fetch_s", "fetch input"], ["handle_s", "handler"], ["store_s", "store result"]];
  return names.map(([key, label]) => {
    let sum = 0, count = 0;
    for (const w of workers) {
      const p = ((w.metrics || {}).phases || {})[key];
      if (p) { sum += p.sum; count += p.count; }
    }
    return [label, count ? (sum / count).toFixed(3) + " s" : "–", "v-phase"];
  });
}

function jobRow(id, cells) {
  const tr = el("tr");
  const link = el("a", id.slice(0, 12));
  link.href = "#job-" + id;
  link.title = id;
  link.addEventListener("click", ev => { ev.preventDefault(); showJob(id); });
  const td = el("td"); td.append(link); tr.append(td);
  for (const c of cells) tr.append(el("td", c));
  tr.dataset.job = id;
  return tr;
}

async function refreshJobs() {
  if (!lastOverview) return;
  const state = document.getElementById("state-filter").value;
  const total = state ? lastOverview.jobs[state] : Object.values(lastOverview.jobs).reduce((a, b) => a + b, 0);
  const offset = Math.max(0, total - JOBS_SHOWN);  // the list is oldest first: take its tail
  const query = new URLSearchParams({ limit: String(JOBS_SHOWN), offset: String(offset) });
  if (state) query.set("state", state);
  const page = await api("/v1/jobs?" + query);
  const jobs = page.jobs.reverse();
  document.getElementById("jobs-shown").textContent = `newest ${jobs.length} of ${total}`;
  fillTable("job-list", jobs.map(j => jobRow(j.id, [j.state, j.attempts, ago(j.submitted_at_s, lastOverview.now_s),
    secs(j.started_at_s, j.finished_at_s)])));
}

async function showJob(id) {
  selectedJob = id;
  const j = await api("/v1/jobs/" + encodeURIComponent(id));
  document.getElementById("job-detail").hidden = false;
  document.getElementById("detail-id").textContent = j.id;
  fillDl("detail", [["state", j.state], ["priority", j.priority], ["attempts", j.attempts],
    ["input file", j.filename || "– (JSON input)"], ["queue wait", secs(j.submitted_at_s, j.started_at_s)],
    ["run time", secs(j.started_at_s, j.finished_at_s)],
    ["submitted", new Date(j.submitted_at_s * 1000).toISOString()], ["last error", j.last_error || "–"]]);
  const button = document.getElementById("detail-result");
  button.hidden = j.state !== "succeeded";
  document.getElementById("detail-result-json").hidden = true;
}

async function showResult() {
  const pre = document.getElementById("detail-result-json");
  pre.textContent = JSON.stringify(await api("/v1/jobs/" + encodeURIComponent(selectedJob) + "/result"), null, 2);
  pre.hidden = false;
}

async function redrive() {
  const out = document.getElementById("redrive-result");
  try {
    const r = await api("/v1/dlq:redrive", { method: "POST" });
    out.textContent = r.moved_job_ids.length
      ? `moved ${r.moved_job_ids.length} jobs back to queued`
      : "moved 0 jobs: the DLQ's messages are briefly held by a check; try again in a few seconds";
  } catch (e) {
    out.textContent = "redrive failed: " + e.message;
  }
}

async function poll() {
  const conn = document.getElementById("conn");
  try {
    render(await api("/v1/overview"));
    await refreshJobs();
    conn.textContent = "live · updated " + new Date().toLocaleTimeString();
    conn.className = "conn ok";
  } catch (e) {
    conn.textContent = "cannot reach the job API: " + e.message;
    conn.className = "conn bad";
  }
  setTimeout(poll, POLL_MS);
}

function start() {
  // `spotq up --open` may pass the key in the fragment, which browsers never send to a server.
  const m = location.hash.match(/^#key=(.+)$/);
  if (m) {
    sessionStorage.setItem(KEY_STORE, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  document.getElementById("key-form").addEventListener("submit", ev => {
    ev.preventDefault();
    sessionStorage.setItem(KEY_STORE, document.getElementById("key").value);
    document.getElementById("key-form").hidden = true;
  });
  document.getElementById("redrive").addEventListener("click", redrive);
  document.getElementById("detail-result").addEventListener("click", showResult);
  document.getElementById("state-filter").addEventListener("change", refreshJobs);
  poll();
}

document.addEventListener("DOMContentLoaded", start);
