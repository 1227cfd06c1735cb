// The dashboard page: parameter sliders, the engageable-trajectory counts and table, the crossover and
// timeline charts (Observable Plot) and the render layer's map, all from the server's typed answers.
import * as Plot from "@observablehq/plot";
import { ApiError, getScenario, postStudy } from "./api";
import type { ParamView, ScenarioView, StudyView, TrajectoryView } from "./api";
import { Globe, LAYERS, webglAvailable } from "./globe";
import { setUpFootprint } from "./footprint";
import { showVerification } from "./verification";
import "./style.css";

// Okabe–Ito colours: told apart with every common colour-vision deficiency.
const ENGAGEABLE = "#0072B2";
const NOT_ENGAGEABLE = "#D55E00";
const WINDOW = "#009E73";

const $ = <T extends HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`the page has no ${sel}`);
  return el;
};

const status = $<HTMLParagraphElement>("#status");
const errorBox = $<HTMLParagraphElement>("#error");

let scenario: ScenarioView;
let latest: StudyView | undefined;
let selected: number | undefined;
const values = new Map<string, number>();
let inflight: AbortController | undefined;
let timer: number | undefined;
let seq = 0;
/** The globe, once built; `null` where there is no WebGL or it failed (the 2-D map is shown). */
let globe: Globe | null | undefined;

function fmt(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? "–" : x.toFixed(digits);
}

/** A value in the parameter's display unit, without floating-point noise. */
function shown(p: ParamView, v: number): string {
  return String(Number((v / p.display_scale).toPrecision(12)));
}

function showError(message: string | undefined) {
  if (message === undefined) {
    errorBox.hidden = true;
    errorBox.textContent = "";
  } else {
    errorBox.hidden = false;
    errorBox.textContent = message;
  }
}

function buildForm() {
  const form = $<HTMLFormElement>("#param-form");
  form.addEventListener("submit", (e) => e.preventDefault());
  for (const [i, p] of scenario.params.entries()) {
    values.set(p.path, p.value);
    const row = document.createElement("div");
    row.className = "param";
    row.dataset.path = p.path;
    const id = `param-${i}`;
    const label = document.createElement("label");
    label.htmlFor = `${id}-range`;
    label.textContent = `${p.label} (${p.display_unit})`;
    const range = document.createElement("input");
    range.type = "range";
    range.id = `${id}-range`;
    range.min = String(p.slider_min);
    range.max = String(p.slider_max);
    range.step = String(p.slider_step);
    range.value = String(p.value);
    range.dataset.path = p.path;
    range.setAttribute("aria-valuetext", `${shown(p, p.value)} ${p.display_unit}`);
    const box = document.createElement("input");
    box.type = "number";
    box.id = `${id}-value`;
    box.step = "any";
    box.value = shown(p, p.value);
    box.dataset.path = p.path;
    box.setAttribute("aria-label", `${p.label} in ${p.display_unit}`);
    const info = document.createElement("p");
    info.className = "param-info";
    const r = p.range ? `sourced range ${shown(p, p.range[0])}–${shown(p, p.range[1])} ${p.display_unit}` : "no disputed range";
    info.textContent = `${r}; scenario value ${shown(p, p.value)} ${p.display_unit}; physical limits ${p.limits} ${p.unit === "m2" ? "m²" : p.unit}`;
    const source = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Source";
    const text = document.createElement("p");
    text.textContent = p.source;
    source.append(summary, text);

    range.addEventListener("input", () => {
      box.value = shown(p, Number(range.value));
      range.setAttribute("aria-valuetext", `${box.value} ${p.display_unit}`);
    });
    range.addEventListener("change", () => {
      values.set(p.path, Number(range.value));
      schedule();
    });
    box.addEventListener("change", () => {
      const v = Number(box.value);
      if (box.value.trim() === "" || !Number.isFinite(v)) {
        showError(`${p.label}: "${box.value}" is not a number`);
        return;
      }
      const si = Number((v * p.display_scale).toPrecision(12));
      range.value = String(si);
      values.set(p.path, si);
      schedule();
    });
    row.append(label, range, box, info, source);
    form.append(row);
  }
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(recompute, 150);
}

/** The parameter values changed from the scenario's, by path. */
function changed(): Record<string, number> {
  const params: Record<string, number> = {};
  for (const p of scenario.params) {
    const v = values.get(p.path);
    if (v !== undefined && v !== p.value) params[p.path] = v;
  }
  return params;
}

const footprint = setUpFootprint({ params: changed, globe: () => globe, sites: () => latest?.sites ?? [] });

async function recompute() {
  inflight?.abort();
  const controller = new AbortController();
  inflight = controller;
  const mine = ++seq;
  const params = changed();
  status.dataset.state = "busy";
  status.textContent = "Recomputing…";
  try {
    const study = await postStudy(params, controller.signal);
    if (mine !== seq) return;
    const first = latest === undefined;
    latest = study;
    if (first) footprint.sitesChanged();
    showError(undefined);
    render(study);
    status.dataset.state = "ready";
    status.dataset.speed = String(study.battery_speed_mps);
    status.textContent = `${study.flown ? "Flew and engaged the threats" : "Engaged the flown threats anew"} in ${study.elapsed_ms.toFixed(0)} ms (${study.boost} boost).`;
  } catch (e) {
    if (controller.signal.aborted) return;
    status.dataset.state = "error";
    status.textContent = "The last change was refused; the results shown are those of the values before it.";
    showError(e instanceof ApiError ? `The server refused the values (HTTP ${e.status}): ${e.message}` : `The request failed: ${String(e)}`);
  }
}

function render(study: StudyView) {
  const counts = $<HTMLTableSectionElement>("#counts tbody");
  counts.replaceChildren(
    ...study.countries.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.country = c.country;
      for (const [k, v] of [
        ["country", c.country],
        ["engageable", String(c.engageable)],
        ["flown", String(c.flown)],
        ["total", String(c.total)],
      ]) {
        const td = document.createElement(k === "country" ? "th" : "td");
        if (k === "country") td.setAttribute("scope", "row");
        td.dataset.field = k;
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }),
  );
  renderTable(study);
  renderCrossover(study);
  renderAltitude(study);
  renderTimeline();
  if (globe) globe.update(study);
  else if (globe === null) showMap2d();
}

/** The 2-D map of the latest study (where there is no globe). */
function showMap2d() {
  $<HTMLImageElement>("#map-img").src = `/api/map.svg?study=${seq}`;
}

/** The globe where WebGL is available, with a checkbox per layer; the 2-D map otherwise. */
async function setUpMap() {
  const note = $<HTMLParagraphElement>("#map-note");
  const fallback = (why: string) => {
    globe = null;
    $<HTMLElement>("#globe").hidden = true;
    $<HTMLElement>("#layers").hidden = true;
    $<HTMLElement>("#map-2d").hidden = false;
    note.dataset.map = "2d";
    note.textContent = `${why}: the 2-D map of the latest study is shown instead of the 3-D globe.`;
    if (latest) showMap2d();
  };
  if (!webglAvailable()) {
    fallback("This browser offers no WebGL");
    return;
  }
  const host = $<HTMLElement>("#globe");
  host.hidden = false;
  try {
    globe = await Globe.create(host, (id) => {
      selected = id;
      renderTimeline();
    });
  } catch (e) {
    fallback(`The globe could not start (${e instanceof Error ? e.message : String(e)})`);
    return;
  }
  const box = $<HTMLFieldSetElement>("#layers");
  for (const l of LAYERS) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = true;
    input.id = `layer-${l.id}`;
    input.addEventListener("change", () => globe?.show(l.id, input.checked));
    label.append(input, ` ${l.label}`);
    box.append(label);
  }
  box.hidden = false;
  if (latest) globe.update(latest);
  note.dataset.map = "globe";
  note.textContent = "Drag to turn the globe, scroll to zoom; click a track or an intercept point to show its timeline. Imagery: Natural Earth II, bundled with CesiumJS.";
}

function renderTable(study: StudyView) {
  const body = $<HTMLTableSectionElement>("#trajectory-table tbody");
  body.replaceChildren(
    ...study.trajectories.map((t) => {
      const tr = document.createElement("tr");
      tr.dataset.id = String(t.id);
      tr.dataset.engageable = String(t.engageable);
      const cells = [
        t.from,
        t.from_country,
        t.to,
        t.missile,
        fmt(t.range_km),
        t.crossover_mps === null ? "none" : (t.crossover_mps / 1000).toFixed(2),
        t.crossover_most_capable_mps === null ? "none" : (t.crossover_most_capable_mps / 1000).toFixed(2),
        t.skipped ? "not flown" : t.engageable ? "yes" : "no",
        fmt(t.window?.earliest_s),
      ];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      const td = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Show";
      button.setAttribute("aria-label", `Show the timeline of ${t.from} to ${t.to}`);
      button.disabled = t.skipped !== null;
      button.addEventListener("click", () => {
        selected = t.id;
        renderTimeline();
      });
      td.append(button);
      tr.append(td);
      if (t.skipped) tr.title = t.skipped;
      return tr;
    }),
  );
}

function renderCrossover(study: StudyView) {
  const flown = study.trajectories.filter((t) => t.skipped === null);
  const data = flown
    .filter((t) => t.crossover_mps !== null)
    .map((t) => ({
      name: `${t.from} → ${t.to}`,
      country: t.from_country,
      crossover: (t.crossover_mps as number) / 1000,
      engageable: t.engageable ? "engageable" : "not engageable",
    }));
  const none = flown.length - data.length;
  const xs = [...data.map((d) => d.crossover), study.battery_speed_mps / 1000];
  const chart = Plot.plot({
    width: 900,
    height: 120 + 40 * new Set(data.map((d) => d.country)).size,
    marginLeft: 60,
    x: {
      label: "Crossover speed (km/s): the lowest burnout speed that engages the trajectory",
      grid: true,
      domain: [Math.floor(Math.min(...xs) * 2) / 2 - 0.5, Math.ceil(Math.max(...xs) * 2) / 2 + 0.5],
    },
    y: { label: "Launch country" },
    color: { domain: ["engageable", "not engageable"], range: [ENGAGEABLE, NOT_ENGAGEABLE], legend: true },
    marks: [
      Plot.ruleX([study.battery_speed_mps / 1000], { stroke: "black", strokeDasharray: "4 3" }),
      Plot.dot(data, { x: "crossover", y: "country", fill: "engageable", r: 4, title: "name" }),
    ],
  });
  groups(chart);
  const fig = $<HTMLElement>("#crossover-chart");
  const cap = document.createElement("figcaption");
  cap.textContent = `Each dot is a trajectory (${data.length} shown); the dashed line is the battery's burnout speed, ${(study.battery_speed_mps / 1000).toFixed(2)} km/s. ${none} flown trajectories are engaged at no speed.`;
  fig.replaceChildren(chart, cap);
}

/** Great-circle distance (km) between two points given in degrees, on a sphere of 6371 km. */
function groundKm(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180;
  const h =
    Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Altitude against ground range from the launch site, one line per flown trajectory. */
function renderAltitude(study: StudyView) {
  const data = study.trajectories
    .filter((t) => t.skipped === null && t.track.length > 1)
    .flatMap((t) => {
      const [lon0, lat0] = t.track[0];
      return t.track.map(([lon, lat, alt]) => ({
        id: `${t.from} → ${t.to}`,
        range: groundKm(lon0, lat0, lon, lat),
        alt: alt / 1000,
        engageable: t.engageable ? "engageable" : "not engageable",
      }));
    });
  const chart = Plot.plot({
    width: 900,
    height: 300,
    marginLeft: 60,
    x: { label: "Ground range from the launch site (km, great circle)", grid: true },
    y: { label: "Altitude above the ellipsoid (km)", grid: true },
    color: { domain: ["engageable", "not engageable"], range: [ENGAGEABLE, NOT_ENGAGEABLE], legend: true },
    marks: [Plot.line(data, { x: "range", y: "alt", z: "id", stroke: "engageable", strokeOpacity: 0.7, title: "id" })],
  });
  groups(chart);
  const cap = document.createElement("figcaption");
  cap.textContent = `Altitude against ground range of every flown trajectory (${new Set(data.map((d) => d.id)).size}), sampled every 20 s.`;
  $<HTMLElement>("#altitude-chart").replaceChildren(chart, cap);
}

/** Plot labels its marks' groups with aria-label; a labelled group needs the group role to carry it. */
function groups(chart: Element) {
  for (const g of chart.querySelectorAll("g[aria-label]")) g.setAttribute("role", "group");
}

function renderTimeline() {
  const fig = $<HTMLElement>("#timeline-chart");
  const t: TrajectoryView | undefined = latest?.trajectories.find((x) => x.id === selected);
  if (!t || t.flight_time_s === null) return;
  const events: { event: string; t: number }[] = [
    { event: "launch", t: 0 },
    { event: "threat burnout", t: t.threat_burnout_s },
  ];
  if (t.first_track_s !== null) events.push({ event: `first track (${t.first_radar ?? "radar"})`, t: t.first_track_s });
  if (t.commit_s !== null) events.push({ event: "commit", t: t.commit_s });
  events.push({ event: "impact", t: t.flight_time_s });
  const windows = t.window ? [{ from: t.window.earliest_s, to: t.window.latest_s, label: "intercept window" }] : [];
  const chart = Plot.plot({
    width: 900,
    height: 180,
    marginLeft: 20,
    marginRight: 40,
    x: { label: "Seconds since threat launch", grid: true, domain: [0, t.flight_time_s] },
    y: { axis: null, domain: [0, 1] },
    marks: [
      Plot.rectX(windows, { x1: "from", x2: "to", y1: 0.35, y2: 0.65, fill: WINDOW, fillOpacity: 0.5 }),
      Plot.ruleX(events, { x: "t", stroke: "black" }),
      Plot.text(events, { x: "t", y: (_d, i) => 0.95 - 0.1 * (i % 4), text: "event", textAnchor: "start", dx: 3 }),
    ],
  });
  groups(chart);
  const cap = document.createElement("figcaption");
  cap.id = "timeline-caption";
  cap.textContent = `${t.from} → ${t.to} (${t.missile}): ${
    t.window
      ? `intercept window ${t.window.earliest_s.toFixed(0)}–${t.window.latest_s.toFixed(0)} s at ${(latest!.battery_speed_mps / 1000).toFixed(2)} km/s, earliest at ${t.window.alt_km.toFixed(0)} km altitude`
      : "no intercept window at the battery's burnout speed"
  }; impact at ${t.flight_time_s.toFixed(0)} s.`;
  fig.replaceChildren(chart, cap);
  fig.dataset.id = String(t.id);
}

async function start() {
  try {
    scenario = await getScenario();
  } catch (e) {
    status.dataset.state = "error";
    status.textContent = "The dashboard could not load its scenario.";
    showError(String(e instanceof Error ? e.message : e));
    return;
  }
  $("#scenario-name").textContent = scenario.name;
  $("#scenario-description").textContent = scenario.description;
  buildForm();
  // The first results first; then the globe (Cesium's start-up holds the page's thread for seconds
  // under software WebGL), which draws the latest study once it is up.
  await recompute();
  await setUpMap();
}

/** The tabs: Study and Verification (`#verification` in the address opens the latter). */
function tabs() {
  const all = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const select = (tab: HTMLButtonElement, focus: boolean) => {
    for (const t of all) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $<HTMLElement>(`#${t.getAttribute("aria-controls")}`).hidden = !on;
    }
    if (focus) tab.focus();
    if (tab.id === "tab-verification") {
      history.replaceState(null, "", "#verification");
      void showVerification();
    } else {
      history.replaceState(null, "", "#study");
      showStudy();
    }
  };
  all.forEach((t, i) => {
    t.addEventListener("click", () => select(t, false));
    t.addEventListener("keydown", (e) => {
      const to = e.key === "ArrowRight" ? (i + 1) % all.length : e.key === "ArrowLeft" ? (i + all.length - 1) % all.length : -1;
      if (to >= 0) {
        e.preventDefault();
        select(all[to], true);
      }
    });
  });
  if (location.hash === "#verification") select($<HTMLButtonElement>("#tab-verification"), false);
  else showStudy();
}

let studyStarted = false;

/** Loads the study view (once, the first time it is shown: a page opened on the verification view runs
 * no study until the Study tab is chosen). */
function showStudy() {
  if (studyStarted) return;
  studyStarted = true;
  void start();
}

tabs();
