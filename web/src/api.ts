// The dashboard's JSON API, typed as crates/dashboard/src/model.rs defines it.

export interface ParamView {
  path: string;
  label: string;
  unit: string;
  value: number;
  range: [number, number] | null;
  source: string;
  limits: string;
  slider_min: number;
  slider_max: number;
  slider_step: number;
  display_unit: string;
  display_scale: number;
}

export interface ScenarioView {
  name: string;
  description: string;
  params: ParamView[];
}

export interface CountryCount {
  country: string;
  engageable: number;
  flown: number;
  total: number;
}

export interface WindowView {
  earliest_s: number;
  latest_s: number;
  alt_km: number;
  lat_deg: number;
  lon_deg: number;
  shots: number;
  battery: string;
}

export interface TrajectoryView {
  id: number;
  threat: string;
  missile: string;
  shape: string;
  from: string;
  from_country: string;
  to: string;
  range_km: number;
  skipped: string | null;
  flight_time_s: number | null;
  apogee_km: number | null;
  threat_burnout_s: number;
  crossover_mps: number | null;
  crossover_most_capable_mps: number | null;
  engageable: boolean;
  first_track_s: number | null;
  first_radar: string | null;
  commit_s: number | null;
  window: WindowView | null;
  track: [number, number, number, number][];
}

export interface StudyView {
  scenario: string;
  boost: string;
  elapsed_ms: number;
  flown: boolean;
  params: { path: string; value: number }[];
  battery_speed_mps: number;
  countries: CountryCount[];
  trajectories: TrajectoryView[];
  sites: SiteView[];
  radars: RadarView[];
}

/** A site of the scenario; `roles` among "interceptor", "radar", "launch", "target". */
export interface SiteView {
  name: string;
  lat_deg: number;
  lon_deg: number;
  roles: string[];
}

/** A radar as the globe draws it: rings `[lon, lat]` (degrees) at `ring_alt_km`. */
export interface RadarView {
  name: string;
  lat_deg: number;
  lon_deg: number;
  boresight_azimuth_deg: number;
  azimuth_half_width_deg: number;
  detection_range_km: number;
  rcs_m2: number;
  ring_alt_km: number;
  field_of_regard: [number, number][];
  horizon: [number, number][];
}

/** An answer the server refused, with its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(r: Response): Promise<T> {
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(r.status, `the server answered HTTP ${r.status} with something that is not JSON`);
  }
  if (!r.ok) {
    const message =
      typeof body === "object" && body !== null && "error" in body && typeof body.error === "string"
        ? body.error
        : `HTTP ${r.status}`;
    throw new ApiError(r.status, message);
  }
  return body as T;
}

export async function getScenario(): Promise<ScenarioView> {
  return answer<ScenarioView>(await fetch("/api/scenario"));
}

export async function postStudy(params: Record<string, number>, signal: AbortSignal): Promise<StudyView> {
  const r = await fetch("/api/study", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ params }),
    signal,
  });
  return answer<StudyView>(r);
}

/** GET a JSON answer of the dashboard's API. */
export async function getJson<T>(url: string): Promise<T> {
  return answer<T>(await fetch(url));
}
