// The verification view: the logs' status (checkpoint, log signature, witness cosignatures and their age,
// checked on the server against the trust file), per-sensor telemetry timelines with gaps highlighted,
// and the monitor's alerts, each with "Verify evidence", which checks the bundle here in the browser
// against the trust file alone (./verify.ts).
import * as Plot from "@observablehq/plot";
import { ApiError, getJson } from "./api";
import { verifyAlert } from "./verify";
import type { Check, TrustKeys } from "./verify";

// Okabe–Ito colours: told apart with every common colour-vision deficiency.
const READING = "#0072B2";
const GAP = "#D55E00";

interface TrustView extends TrustKeys {
  rules: string;
}

interface VerificationView {
  trust: TrustView | null;
  logs: string[];
  monitor_dir: string | null;
  period_s: number;
}

interface CosignatureView {
  name: string;
  trusted: boolean;
  verified: boolean;
  time_s: number | null;
  age_s: number | null;
  detail: string;
}

interface LogStatus {
  url: string;
  origin: string;
  size: number;
  root: string;
  checkpoint: string;
  log_signature: { ok: boolean; detail: string };
  cosignatures: CosignatureView[];
  valid_cosignatures: number;
  min_cosignatures: number;
  read_s: number;
}

interface SensorTimeline {
  sensor: string;
  site: string;
  kind: string;
  periodic: boolean;
  readings: { index: number; seq: number; time_ms: number }[];
  gaps: { from_ms: number; to_ms: number; length_s: number; missing_seq: number }[];
}

interface TimelinesView {
  url: string;
  size: number;
  period_s: number;
  sensors: SensorTimeline[];
  rosters: number[];
  undecodable: { index: number; reason: string }[];
}

interface AlertSummary {
  file: string;
  schema: string | null;
  kind: string;
  index: number | null;
  summary: string;
  sensor: string | null;
  error: string | null;
}

interface AlertsView {
  dir: string;
  alerts: AlertSummary[];
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function message(e: unknown): string {
  return e instanceof ApiError ? `HTTP ${e.status}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function errorBox(text: string): HTMLParagraphElement {
  return el("p", text, { class: "error", role: "alert" });
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

function table(caption: string, head: string[], rows: (string | Node)[][]): HTMLTableElement {
  const t = el("table");
  t.append(el("caption", caption));
  const tr = el("tr");
  for (const h of head) tr.append(el("th", h, { scope: "col" }));
  t.append(el("thead"));
  t.tHead!.append(tr);
  const body = el("tbody");
  for (const r of rows) {
    const row = el("tr");
    for (const c of r) {
      const td = el("td");
      td.append(c);
      row.append(td);
    }
    body.append(row);
  }
  t.append(body);
  return t;
}

function renderTrust(host: HTMLElement, v: VerificationView) {
  if (!v.trust) {
    host.replaceChildren(
      el("p", "No trust file: start the dashboard with --trust FILE (and --log URL, --monitor-dir DIR) to see logs and alerts."),
    );
    return;
  }
  const t = v.trust;
  const p = el("p");
  p.append("Everything below is checked against the trust file ", el("code", t.path, { id: "trust-path" }), " and nothing else:");
  const list = el("ul");
  list.append(el("li", `log key: ${t.log_key}`));
  list.append(el("li", `witness keys (${t.min_cosignatures} cosignature(s) required): ${t.witness_keys.join(", ") || "none"}`));
  list.append(el("li", `roster trust anchors: ${t.anchors.join(", ")}`));
  list.append(el("li", `agreed rules: ${t.rules} (${t.agreed.rules.length} rules: ${t.agreed.rules.map((r) => r.id).join(", ")}), which evidence is replayed through in this browser`));
  host.replaceChildren(p, list);
}

async function renderStatus(host: HTMLElement, i: number, url: string) {
  const art = el("article", undefined, { class: "log", "data-log": String(i), "data-state": "loading", "aria-label": `Log ${url}` });
  art.append(el("h3", url), el("p", "Reading the checkpoint…"));
  host.append(art);
  try {
    const s = await getJson<LogStatus>(`/api/logs/${i}/status`);
    const dl = el("dl");
    for (const [k, v] of [
      ["Origin", s.origin],
      ["Tree size", String(s.size)],
      ["Root hash", s.root],
      ["Log signature", `${s.log_signature.ok ? "✓ valid" : "✗ INVALID"}: ${s.log_signature.detail}`],
      ["Witness quorum", `${s.valid_cosignatures} valid cosignature(s) of ${s.min_cosignatures} required: ${s.valid_cosignatures >= s.min_cosignatures ? "✓ met" : "✗ NOT met"}`],
    ]) {
      dl.append(el("dt", k), el("dd", v, { "data-field": k.toLowerCase().replace(/ /g, "-") }));
    }
    const cos = table(
      `Cosignatures on the checkpoint, as read at ${iso(s.read_s * 1000)}`,
      ["Witness", "In the trust file", "Verified", "Cosigned at", "Age", "Detail"],
      s.cosignatures.map((c) => [
        c.name,
        c.trusted ? "yes" : "no",
        c.verified ? "✓ yes" : "✗ no",
        c.time_s === null ? "–" : iso(c.time_s * 1000),
        c.age_s === null ? "–" : `${c.age_s} s`,
        c.detail,
      ]),
    );
    cos.className = "cosignatures";
    const details = el("details");
    details.append(el("summary", "The checkpoint as served"), el("pre", s.checkpoint));
    art.replaceChildren(el("h3", url), dl, cos, details);
    art.dataset.state = s.log_signature.ok && s.valid_cosignatures >= s.min_cosignatures ? "verified" : "unverified";
    art.dataset.size = String(s.size);
  } catch (e) {
    art.replaceChildren(el("h3", url), errorBox(`The log's status could not be read: ${message(e)}`));
    art.dataset.state = "error";
  }
}

async function renderTimelines(host: HTMLElement, i: number, url: string) {
  const art = el("article", undefined, { class: "timelines", "data-log": String(i), "data-state": "loading", "aria-label": `Telemetry in ${url}` });
  art.append(el("h3", url), el("p", "Reading the entries…"));
  host.append(art);
  try {
    const t = await getJson<TimelinesView>(`/api/logs/${i}/timelines`);
    const readings = t.sensors.flatMap((s) => s.readings.map((r) => ({ sensor: s.sensor, t: new Date(r.time_ms), seq: r.seq, index: r.index })));
    const gaps = t.sensors.flatMap((s) => s.gaps.map((g) => ({ sensor: s.sensor, from: new Date(g.from_ms), to: new Date(g.to_ms), length: g.length_s, missing: g.missing_seq })));
    const fig = el("figure");
    if (readings.length > 0) {
      const chart = Plot.plot({
        width: 1100,
        height: 60 + 22 * t.sensors.length,
        marginLeft: 150,
        x: { label: "Statement time (UTC, the sensor's clock)", type: "utc", grid: true },
        y: { label: null, domain: t.sensors.map((s) => s.sensor) },
        marks: [
          Plot.barX(gaps, { x1: "from", x2: "to", y: "sensor", fill: GAP, fillOpacity: 0.8, title: (d: { length: number; missing: number }) => `gap of ${d.length} s, ${d.missing} sequence number(s) skipped` }),
          Plot.dot(readings, { x: "t", y: "sensor", r: 2, fill: READING, title: (d: { seq: number; index: number }) => `seq ${d.seq}, log index ${d.index}` }),
        ],
      });
      for (const g of chart.querySelectorAll("g[aria-label]")) g.setAttribute("role", "group");
      chart.setAttribute("role", "img");
      chart.setAttribute("aria-label", "Statements per sensor over time; gaps as vermillion bars");
      fig.append(chart);
    }
    fig.append(
      el(
        "figcaption",
        `${t.sensors.length} signers, ${readings.length} statements in ${t.size} entries (checked to hash to the signed root). Blue dots: statements; vermillion bars: gaps between consecutive radar or silo readings, longer than the reporting period of ${t.period_s} s or with sequence numbers skipped (${gaps.length} found).`,
        { class: "timeline-caption" },
      ),
    );
    const rows = gaps.map((g) => [g.sensor, g.from.toISOString(), g.to.toISOString(), `${g.length} s`, String(g.missing)]);
    const gapTable = table(`Gaps: longer than ${t.period_s} s, or sequence numbers skipped`, ["Sensor", "Last reading before", "First reading after", "Length", "Sequence numbers skipped"], rows);
    gapTable.className = "gaps";
    const extra = el(
      "p",
      `Roster versions at entries ${t.rosters.join(", ") || "none"}.${t.undecodable.length ? ` ${t.undecodable.length} entries do not decode: ${t.undecodable.map((u) => `${u.index} (${u.reason})`).join("; ")}.` : ""}`,
    );
    art.replaceChildren(el("h3", url), fig, gapTable, extra);
    art.dataset.state = "ready";
    art.dataset.sensors = String(t.sensors.length);
    art.dataset.gaps = String(gaps.length);
  } catch (e) {
    art.replaceChildren(el("h3", url), errorBox(`The telemetry could not be read: ${message(e)}`));
    art.dataset.state = "error";
  }
}

function line(c: Check): HTMLLIElement {
  const mark = c.level === "pass" ? "✓" : c.level === "fail" ? "✗" : "ℹ";
  const li = el("li", undefined, { "data-level": c.level });
  li.append(el("strong", `${mark} ${c.item}: `), c.detail);
  return li;
}

async function verifyEvidence(result: HTMLElement, a: AlertSummary, trust: TrustView) {
  result.dataset.file = a.file;
  result.dataset.verdict = "running";
  result.replaceChildren(el("h3", `Checking ${a.file}…`));
  try {
    const text = await (async () => {
      const r = await fetch(`/api/alerts/${encodeURIComponent(a.file)}`);
      if (!r.ok) throw new Error(`the dashboard answered HTTP ${r.status} for ${a.file}`);
      return r.text();
    })();
    let bundle: unknown;
    try {
      bundle = JSON.parse(text);
    } catch {
      bundle = text;
    }
    const report = await verifyAlert(bundle, trust);
    const head = el("h3", report.verified ? `VERIFIED: ${a.file}` : `NOT VERIFIED: ${a.file}`, { class: report.verified ? "verdict-ok" : "verdict-fail" });
    const reason = el("p", report.verified ? "Every check below passed." : `Reason: ${report.reason}`, { class: "reason" });
    const scope = el("p", undefined, { class: "hint" });
    scope.append(
      "Checked in this browser against the trust file ",
      el("code", trust.path),
      " alone, as ",
      el("code", `shieldwatch verify evidence ${a.file} --trust ${trust.path}`),
      " checks it: the checkpoint's log signature, the witness cosignatures against the quorum, every entry's inclusion proof to the checkpoint's root, that no index of the range is missing, every entry's admission (signature, roster, schema, sequence), that the rule is the agreed text, and the replay of the entries through the agreed rules, which must give the finding in every field. What this page cannot replay is said as \"not replayed\" and not verified.",
    );
    const list = el("ul", undefined, { class: "checks" });
    list.append(...report.checks.map(line));
    const per = el("details");
    per.append(el("summary", `Each entry (${report.entries.length} lines)`));
    const perList = el("ul");
    perList.append(...report.entries.map(line));
    per.append(perList);
    result.replaceChildren(head, reason, scope, list, per);
    result.dataset.verdict = report.verified ? "verified" : report.reason?.startsWith("not replayed:") ? "not-replayed" : "failed";
  } catch (e) {
    result.replaceChildren(
      el("h3", `Could not check ${a.file}`),
      errorBox(`${message(e)}${e instanceof DOMException ? " (this browser's WebCrypto may lack Ed25519)" : ""}`),
    );
    result.dataset.verdict = "error";
  }
}

async function renderAlerts(host: HTMLElement, result: HTMLElement, trust: TrustView) {
  host.dataset.state = "loading";
  try {
    const v = await getJson<AlertsView>("/api/alerts");
    const rows = v.alerts.map((a) => {
      const actions = el("span");
      const button = el("button", "Verify evidence", { type: "button", "aria-label": `Verify evidence of ${a.file}`, "data-file": a.file });
      button.disabled = a.error !== null;
      button.addEventListener("click", () => void verifyEvidence(result, a, trust));
      const link = el("a", "Download JSON", { href: `/api/alerts/${encodeURIComponent(a.file)}`, download: a.file, "aria-label": `Download JSON of ${a.file}` });
      actions.append(button, " ", link);
      return [a.file, a.kind, a.index === null ? "–" : String(a.index), a.sensor ?? "–", a.error ?? a.summary, actions];
    });
    const t = table(`${v.alerts.length} alert file(s) in ${v.dir}`, ["File", "Kind", "Entry", "Sensor", "Summary", "Evidence"], rows);
    t.id = "alert-table";
    host.replaceChildren(t);
    host.dataset.state = "ready";
  } catch (e) {
    host.replaceChildren(errorBox(`The alerts could not be read: ${message(e)}`));
    host.dataset.state = "error";
  }
}

let started = false;

/** Loads the verification view (once, the first time it is shown). */
export async function showVerification() {
  if (started) return;
  started = true;
  const root = document.querySelector<HTMLElement>("#view-verification")!;
  const trustHost = root.querySelector<HTMLElement>("#trust-body")!;
  const statusHost = root.querySelector<HTMLElement>("#log-status")!;
  const timelineHost = root.querySelector<HTMLElement>("#timelines")!;
  const alertHost = root.querySelector<HTMLElement>("#alert-list")!;
  const result = root.querySelector<HTMLElement>("#evidence-result")!;
  let v: VerificationView;
  try {
    v = await getJson<VerificationView>("/api/verification");
  } catch (e) {
    trustHost.replaceChildren(errorBox(`The verification view could not load: ${message(e)}`));
    return;
  }
  renderTrust(trustHost, v);
  if (v.logs.length === 0) statusHost.replaceChildren(el("p", "No log: start the dashboard with --log URL (repeatable)."));
  if (v.logs.length === 0) timelineHost.replaceChildren(el("p", "No log to read telemetry from."));
  if (!v.monitor_dir || !v.trust) alertHost.replaceChildren(el("p", "No monitor folder: start the dashboard with --monitor-dir DIR (where shieldwatch monitor --out writes its alerts)."));
  const work: Promise<void>[] = [];
  statusHost.replaceChildren();
  timelineHost.replaceChildren();
  v.logs.forEach((url, i) => {
    work.push(renderStatus(statusHost, i, url));
    work.push(renderTimelines(timelineHost, i, url));
  });
  if (v.monitor_dir && v.trust) work.push(renderAlerts(alertHost, result, v.trust));
  await Promise.all(work);
  root.dataset.state = "ready";
}
