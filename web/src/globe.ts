// The map: a CesiumJS globe (offline: Cesium's bundled Natural Earth II imagery, served by the dashboard
// itself; no access token, no request leaves the machine) with the study's layers, each toggled by a
// labelled checkbox: threat tracks, sites, the radars' field of regard and horizon, intercept points.
// Where the browser has no WebGL the render layer's 2-D SVG map is shown instead.
//
// Cesium is not bundled into the page's script: its prebuilt runtime (Cesium.js, its workers, assets and
// widget styles, copied into /cesium/ by vite.config.ts) is loaded only when WebGL is available.
import type * as CesiumNS from "cesium";
import type { StudyView } from "./api";

declare global {
  interface Window {
    Cesium?: typeof CesiumNS;
    CESIUM_BASE_URL?: string;
  }
}

// Okabe–Ito colours, as the charts.
const ENGAGEABLE = "#0072B2";
const NOT_ENGAGEABLE = "#D55E00";
const INTERCEPT = "#009E73";
const FIELD = "#CC79A7";
const HORIZON = "#F0E442";
const SITE = "#000000";

/** The layers, in the order of their checkboxes. */
export const LAYERS = [
  { id: "tracks", label: "Threat tracks (blue: engageable, orange: not)" },
  { id: "sites", label: "Sites" },
  { id: "field", label: "Radar field of regard (target at the ring height)" },
  { id: "horizon", label: "Radar horizon (target at the ring height)" },
  { id: "intercepts", label: "Earliest intercept points" },
] as const;
export type LayerId = (typeof LAYERS)[number]["id"] | "footprint";

/** A GeoJSON MultiPolygon feature of a footprint map (the render layer's `footprint.geojson`). */
export interface FootprintFeature {
  geometry: { type: string; coordinates: unknown };
  properties: { level?: number; label?: string; [k: string]: unknown };
}

/** Colours of a footprint's levels, lowest first: viridis, ordered and told apart by lightness with
 * every common colour-vision deficiency. */
export const LEVEL_COLOURS = ["#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"];

/** The polygons (outer ring first, then holes; `[lon, lat]` degrees) of a MultiPolygon feature. */
export function polygonsOf(f: FootprintFeature): [number, number][][][] {
  return f.geometry.type === "MultiPolygon" ? (f.geometry.coordinates as [number, number][][][]) : [];
}

/** Whether the browser can give a WebGL context (Cesium needs one). */
export function webglAvailable(): boolean {
  try {
    const c = document.createElement("canvas");
    return (c.getContext("webgl2") ?? c.getContext("webgl")) !== null;
  } catch {
    return false;
  }
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

function loadStyle(href: string) {
  const l = document.createElement("link");
  l.rel = "stylesheet";
  l.href = href;
  document.head.append(l);
}

/** The globe of the study view; `update` redraws every layer from a study. */
export class Globe {
  private constructor(
    private readonly C: typeof CesiumNS,
    private readonly viewer: CesiumNS.Viewer,
    private readonly layers: Map<LayerId, CesiumNS.CustomDataSource>,
    private readonly host: HTMLElement,
  ) {}

  /** Loads Cesium and builds the globe in `host`; `onPick` gets the id of a clicked trajectory. */
  static async create(host: HTMLElement, onPick: (id: number) => void): Promise<Globe> {
    window.CESIUM_BASE_URL = "/cesium/";
    loadStyle("/cesium/Widgets/widgets.css");
    await loadScript("/cesium/Cesium.js");
    const C = window.Cesium;
    if (!C) throw new Error("Cesium.js loaded but defined no Cesium");
    C.Ion.defaultAccessToken = "";
    const imagery = C.TileMapServiceImageryProvider.fromUrl(C.buildModuleUrl("Assets/Textures/NaturalEarthII"));
    const viewer = new C.Viewer(host, {
      baseLayer: C.ImageryLayer.fromProviderAsync(imagery, {}),
      terrainProvider: new C.EllipsoidTerrainProvider(),
      baseLayerPicker: false,
      geocoder: false,
      homeButton: false,
      sceneModePicker: false,
      navigationHelpButton: false,
      fullscreenButton: false,
      animation: false,
      timeline: false,
      infoBox: false,
      selectionIndicator: false,
      requestRenderMode: true,
      maximumRenderTimeChange: Infinity,
    });
    viewer.scene.globe.enableLighting = false;
    const layers = new Map<LayerId, CesiumNS.CustomDataSource>();
    for (const id of [...LAYERS.map((l) => l.id), "footprint" as const]) {
      const ds = new C.CustomDataSource(id);
      layers.set(id, ds);
      await viewer.dataSources.add(ds);
    }
    viewer.selectedEntityChanged.addEventListener((e: CesiumNS.Entity | undefined) => {
      const id = e?.properties?.trajectory?.getValue(C.JulianDate.now());
      if (typeof id === "number") onPick(id);
    });
    viewer.camera.setView({ destination: C.Cartesian3.fromDegrees(30, 50, 9.0e6) });
    host.dataset.globe = "ready";
    return new Globe(C, viewer, layers, host);
  }

  /** Shows or hides a layer. */
  show(id: LayerId, on: boolean) {
    const ds = this.layers.get(id);
    if (ds) ds.show = on;
    this.viewer.scene.requestRender();
    this.describe();
  }

  /** Redraws every layer from `study`. */
  update(study: StudyView) {
    const C = this.C;
    const color = (css: string, alpha = 1) => C.Color.fromCssColorString(css).withAlpha(alpha);
    const tracks = this.layers.get("tracks")!.entities;
    const sites = this.layers.get("sites")!.entities;
    const field = this.layers.get("field")!.entities;
    const horizon = this.layers.get("horizon")!.entities;
    const intercepts = this.layers.get("intercepts")!.entities;
    for (const [id, ds] of this.layers) if (id !== "footprint") ds.entities.removeAll();
    for (const t of study.trajectories) {
      if (t.skipped !== null || t.track.length < 2) continue;
      tracks.add({
        name: `${t.from} → ${t.to}`,
        polyline: {
          positions: C.Cartesian3.fromDegreesArrayHeights(t.track.flatMap(([lon, lat, alt]) => [lon, lat, alt])),
          width: 2,
          material: color(t.engageable ? ENGAGEABLE : NOT_ENGAGEABLE),
          arcType: C.ArcType.NONE,
        },
        properties: { trajectory: t.id },
      });
      if (t.window) {
        intercepts.add({
          name: `Earliest intercept of ${t.from} → ${t.to}`,
          position: C.Cartesian3.fromDegrees(t.window.lon_deg, t.window.lat_deg, t.window.alt_km * 1000),
          point: { pixelSize: 9, color: color(INTERCEPT), outlineColor: color("#000000"), outlineWidth: 1 },
          properties: { trajectory: t.id },
        });
      }
    }
    for (const s of study.sites) {
      sites.add({
        name: s.name,
        position: C.Cartesian3.fromDegrees(s.lon_deg, s.lat_deg, 0),
        point: { pixelSize: 6, color: color(SITE), outlineColor: color("#ffffff"), outlineWidth: 1 },
        label: {
          text: s.name,
          font: "12px sans-serif",
          fillColor: color("#000000"),
          showBackground: true,
          backgroundColor: color("#ffffff", 0.75),
          pixelOffset: new C.Cartesian2(8, 0),
          horizontalOrigin: C.HorizontalOrigin.LEFT,
          distanceDisplayCondition: new C.DistanceDisplayCondition(0, 1.2e7),
        },
      });
    }
    for (const r of study.radars) {
      const ring = (pts: [number, number][], css: string, target: CesiumNS.EntityCollection, what: string) => {
        if (pts.length < 4) return;
        target.add({
          name: `${r.name}: ${what} at ${r.ring_alt_km.toFixed(0)} km (RCS ${r.rcs_m2} m²)`,
          polyline: {
            positions: C.Cartesian3.fromDegreesArrayHeights(pts.flatMap(([lon, lat]) => [lon, lat, r.ring_alt_km * 1000])),
            width: 2,
            material: color(css),
            arcType: C.ArcType.GEODESIC,
          },
        });
      };
      ring(r.field_of_regard, FIELD, field, "field of regard");
      ring(r.horizon, HORIZON, horizon, "horizon");
    }
    this.viewer.scene.requestRender();
    this.describe();
  }

  /** Draws a footprint map's polygons (each level filled in its colour, lightly, and outlined) as the
   * footprint layer, replacing any earlier footprint. */
  footprint(features: FootprintFeature[]) {
    const C = this.C;
    const layer = this.layers.get("footprint")!.entities;
    layer.removeAll();
    const levels = features.filter((f) => f.geometry.type === "MultiPolygon");
    levels.forEach((f, i) => {
      const css = LEVEL_COLOURS[Math.min(i, LEVEL_COLOURS.length - 1)];
      const colour = C.Color.fromCssColorString(css);
      const degrees = (ring: [number, number][]) => C.Cartesian3.fromDegreesArray(ring.flat());
      for (const [outer, ...holes] of polygonsOf(f)) {
        if (!outer || outer.length < 4) continue;
        layer.add({
          name: `Footprint: ${f.properties.label ?? f.properties.level}`,
          polygon: {
            hierarchy: new C.PolygonHierarchy(degrees(outer), holes.map((h) => new C.PolygonHierarchy(degrees(h)))),
            height: 0,
            material: colour.withAlpha(0.22),
          },
        });
        for (const ring of [outer, ...holes]) {
          layer.add({
            polyline: { positions: degrees(ring), width: 2, material: colour, arcType: C.ArcType.RHUMB },
          });
        }
      }
    });
    this.viewer.scene.requestRender();
    this.describe();
  }

  /** Writes what is drawn into the host's data attributes (for tests and assistive text). */
  private describe() {
    const shown: string[] = [];
    for (const [id, ds] of this.layers) {
      this.host.dataset[`${id}Count`] = String(ds.entities.values.length);
      // The footprint layer counts as shown once it has something to show.
      if (ds.show && (id !== "footprint" || ds.entities.values.length > 0)) shown.push(id);
    }
    this.host.dataset.shown = shown.join(" ");
  }
}
