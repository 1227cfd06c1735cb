// Footprint maps on demand: the form starts a job on the server (POST /api/footprints, at the sliders'
// current values), a progress bar follows it (GET /api/footprints/{id} a few times a second), "Cancel"
// stops it (DELETE); a finished map's polygons (the render layer's GeoJSON) become a layer of the globe
// with its own checkbox, or, where there is no globe, the render layer's 2-D footprint map is shown
// under the same checkbox. A refused request shows the server's message.
import { ApiError, getJson } from "./api";
import type { SiteView } from "./api";
import { LEVEL_COLOURS } from "./globe";
import type { FootprintFeature, Globe } from "./globe";

/** The job as the server reports it (crates/dashboard/src/model.rs, FootprintJobView). */
export interface FootprintJob {
  id: number;
  state: "running" | "cancelling" | "cancelled" | "done" | "failed";
  done_points: number;
  total_points: number;
  elapsed_ms: number;
  map: "defended-area" | "threat-origin" | "radar-coverage";
  site: string | null;
  error: string | null;
  missile: string | null;
  speed_mps: number | null;
  levels: { level: number; fraction_inside: number; polygons: number }[];
}

export interface FootprintHost {
  /** The parameter values the study uses now (path → value, those changed from the scenario's). */
  params: () => Record<string, number>;
  /** The globe, `null` where the 2-D map is shown, `undefined` while it is not decided yet. */
  globe: () => Globe | null | undefined;
  /** The scenario's sites (from the latest study). */
  sites: () => SiteView[];
}

const $ = <T extends HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`the page has no ${sel}`);
  return el;
};

const POLL_MS = 250;

async function send<T>(url: string, init: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(r.status, `the server answered HTTP ${r.status} with something that is not JSON`);
  }
  if (!r.ok) {
    const message =
      typeof body === "object" && body !== null && "error" in body && typeof body.error === "string" ? body.error : `HTTP ${r.status}`;
    throw new ApiError(r.status, message);
  }
  return body as T;
}

export function setUpFootprint(host: FootprintHost) {
  const form = $<HTMLFormElement>("#footprint-form");
  const mapSel = $<HTMLSelectElement>("#fp-map");
  const siteSel = $<HTMLSelectElement>("#fp-site");
  const resolution = $<HTMLInputElement>("#fp-resolution");
  const startBtn = $<HTMLButtonElement>("#fp-start");
  const cancelBtn = $<HTMLButtonElement>("#fp-cancel");
  const bar = $<HTMLDivElement>("#fp-progress");
  const fill = $<HTMLDivElement>("#fp-progress .fill");
  const status = $<HTMLParagraphElement>("#fp-status");
  const errorBox = $<HTMLParagraphElement>("#fp-error");
  const toggle = $<HTMLInputElement>("#layer-footprint");
  const toggleRow = $<HTMLElement>("#fp-layer");
  const legend = $<HTMLElement>("#fp-legend");
  const flat = $<HTMLElement>("#fp-map-2d");
  const flatImg = $<HTMLImageElement>("#fp-map-img");

  /** The job this page follows; a newer one replaces it (the server stops the older). */
  let current: number | undefined;
  let shown = false;

  const showError = (m: string | undefined) => {
    errorBox.hidden = m === undefined;
    errorBox.textContent = m ?? "";
  };

  const fillSites = () => {
    const role = mapSel.value === "defended-area" ? "launch" : mapSel.value === "threat-origin" ? "target" : undefined;
    const keep = siteSel.value;
    const names = role ? host.sites().filter((s) => s.roles.includes(role)).map((s) => s.name) : [];
    siteSel.replaceChildren(
      ...names.map((n) => {
        const o = document.createElement("option");
        o.value = n;
        o.textContent = n;
        return o;
      }),
    );
    const preferred = role === "launch" ? "Tehran" : "Berlin";
    siteSel.value = names.includes(keep) ? keep : names.includes(preferred) ? preferred : (names[0] ?? "");
    siteSel.disabled = role === undefined;
  };
  mapSel.addEventListener("change", fillSites);

  const progress = (job: FootprintJob) => {
    const pct = job.total_points > 0 ? Math.round((100 * job.done_points) / job.total_points) : 0;
    bar.hidden = false;
    bar.setAttribute("aria-valuenow", String(pct));
    bar.setAttribute("aria-valuetext", `${job.done_points} of ${job.total_points} grid points`);
    bar.dataset.done = String(job.done_points);
    bar.dataset.total = String(job.total_points);
    fill.style.width = `${pct}%`;
  };

  const what = (job: FootprintJob) => `${job.map.replace("-", " ")} map${job.site ? ` for ${job.site}` : ""}`;

  const finished = async (job: FootprintJob) => {
    const levelText = (l: number) => (job.map === "radar-coverage" ? `seen above ${(l / 1000).toFixed(0)} km` : `engaged at ${(l / 1000).toFixed(1)} km/s`);
    legend.replaceChildren(
      ...job.levels.map((l, i) => {
        const li = document.createElement("li");
        // Swatches in the globe's colours; the 2-D map draws its levels in its own legend.
        if (host.globe()) {
          const sw = document.createElement("span");
          sw.className = "swatch";
          sw.style.background = LEVEL_COLOURS[Math.min(i, LEVEL_COLOURS.length - 1)];
          sw.setAttribute("aria-hidden", "true");
          li.append(sw);
        }
        li.append(` ${levelText(l.level)}: ${(100 * l.fraction_inside).toFixed(0)} % of the grid`);
        return li;
      }),
    );
    const globe = host.globe();
    if (globe) {
      const fc = await getJson<{ features: FootprintFeature[] }>(`/api/footprints/${job.id}/footprint.geojson`);
      if (job.id !== current) return;
      globe.footprint(fc.features);
      globe.show("footprint", toggle.checked);
      flat.hidden = true;
    } else {
      flatImg.alt = `2-D ${what(job)}: the regions ${job.map === "radar-coverage" ? "seen above each altitude" : "engaged at each burnout speed"}`;
      flatImg.src = `/api/footprints/${job.id}/map.svg`;
      flat.hidden = !toggle.checked;
    }
    shown = true;
    toggleRow.hidden = false;
    form.dataset.shown = String(job.id);
  };

  const follow = async (id: number) => {
    for (;;) {
      let job: FootprintJob;
      try {
        job = await getJson<FootprintJob>(`/api/footprints/${id}`);
      } catch (e) {
        if (id !== current) return;
        status.dataset.state = "error";
        status.textContent = "Lost track of the footprint job.";
        showError(e instanceof ApiError ? `The server refused (HTTP ${e.status}): ${e.message}` : `The request failed: ${String(e)}`);
        cancelBtn.disabled = true;
        return;
      }
      if (id !== current) return;
      progress(job);
      status.dataset.state = job.state;
      const secs = (job.elapsed_ms / 1000).toFixed(1);
      switch (job.state) {
        case "running":
        case "cancelling":
          status.textContent = `${job.state === "running" ? "Computing" : "Stopping"} the ${what(job)}: ${job.done_points} of ${job.total_points} grid points (${secs} s).`;
          break;
        case "cancelled":
          status.textContent = `Cancelled the ${what(job)} after ${job.done_points} of ${job.total_points} grid points; the map shown, if any, is the previous one.`;
          cancelBtn.disabled = true;
          return;
        case "failed":
          status.textContent = `The ${what(job)} failed.`;
          showError(job.error ?? "no reason given");
          cancelBtn.disabled = true;
          return;
        case "done":
          cancelBtn.disabled = true;
          try {
            await finished(job);
          } catch (e) {
            showError(`The finished map could not be shown: ${e instanceof Error ? e.message : String(e)}`);
            return;
          }
          status.textContent = `Computed the ${what(job)} (${job.missile ?? "radars"}${job.speed_mps ? `, battery at ${(job.speed_mps / 1000).toFixed(2)} km/s` : ""}): ${job.total_points} grid points in ${secs} s.`;
          return;
      }
      await new Promise((r) => window.setTimeout(r, POLL_MS));
    }
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(undefined);
    const body: Record<string, unknown> = { map: mapSel.value, params: host.params() };
    if (!siteSel.disabled && siteSel.value) body.site = siteSel.value;
    const res = Number(resolution.value);
    if (resolution.value.trim() === "" || !Number.isFinite(res)) {
      showError(`Grid spacing: "${resolution.value}" is not a number`);
      return;
    }
    body.resolution_deg = res;
    startBtn.disabled = true;
    try {
      const job = await send<FootprintJob>("/api/footprints", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      current = job.id;
      form.dataset.job = String(job.id);
      cancelBtn.disabled = false;
      progress(job);
      void follow(job.id);
    } catch (e) {
      status.dataset.state = "refused";
      status.textContent = "The footprint request was refused.";
      showError(e instanceof ApiError ? `The server refused the footprint (HTTP ${e.status}): ${e.message}` : `The request failed: ${String(e)}`);
    } finally {
      startBtn.disabled = false;
    }
  });

  cancelBtn.addEventListener("click", async () => {
    if (current === undefined) return;
    cancelBtn.disabled = true;
    try {
      await send<FootprintJob>(`/api/footprints/${current}`, { method: "DELETE" });
    } catch (e) {
      showError(e instanceof ApiError ? `The server refused to cancel (HTTP ${e.status}): ${e.message}` : `The request failed: ${String(e)}`);
    }
  });

  toggle.addEventListener("change", () => {
    const globe = host.globe();
    if (globe) globe.show("footprint", toggle.checked);
    else if (shown) flat.hidden = !toggle.checked;
  });

  return { sitesChanged: fillSites };
}
