// Drives the map of `shieldwatch dashboard` in Debian's headless Chromium, in one of two modes:
//
// - `webgl`: Chromium started with its software WebGL (SwiftShader through ANGLE: `--disable-gpu` alone
//   leaves headless Chromium without WebGL). The globe must come up; each layer's checkbox is unticked
//   and ticked again, and for each the layer's state and a screenshot of the globe are read before and
//   after.
// - `none`: Chromium started with `--disable-3d-apis` (no WebGL at all; `--disable-gpu` alone is not
//   enough: headless Chromium then still offers a WebGL context, too slow to draw a globe). The page
//   must find no WebGL and show the 2-D map (the render layer's SVG) with a note saying why.
//
// In both, a route guard aborts (and reports) every request that would leave the machine; console
// errors, page errors, failed requests and HTTP errors are reported; axe-core runs on the page with its
// results. Screenshots go to the screenshot folder.
//
// Usage: node check-globe.mjs URL SCREENSHOT_DIR webgl|none
// Prints one JSON object on stdout: {"mode", "map": "globe"|"2d", "note", "counts": {layer: n},
// "toggles": {layer: {"off": shown-after-untick, "on": shown-after-tick, "changed": bool, "restored": bool}},
// "map_img": bool, "globe_shown": [ids of #globe, #layers taking room], "axe": [...], "offsite": [...], "problems": [...], "screenshots": [...]}.
// Exit status 0 when every step ran (the caller judges what it saw), 1 otherwise.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const [url, shotDir, mode] = process.argv.slice(2);
if (!url || !shotDir || (mode !== "webgl" && mode !== "none")) {
  console.error("usage: node check-globe.mjs URL SCREENSHOT_DIR webgl|none");
  process.exit(1);
}

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const userDataDir = mkdtempSync(join(tmpdir(), "shieldwatch-chromium-"));
const local = new Set(["127.0.0.1", "localhost", "[::1]"]);
const offsite = [];
const problems = [];
const screenshots = [];
let step = "load";
let context;
let status = 0;
const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
if (mode === "webgl") args.push("--enable-unsafe-swiftshader", "--use-angle=swiftshader");
else args.push("--disable-3d-apis");
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args,
    viewport: { width: 1400, height: 1000 },
  });
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if ((u.protocol === "http:" || u.protocol === "https:") && !local.has(u.hostname)) {
      offsite.push(u.href);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  const page = await context.newPage();
  // Software WebGL on a busy machine: a picture of the page can take many seconds.
  page.setDefaultTimeout(90000);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push({ step, problem: `console error: ${m.text()}` });
  });
  page.on("pageerror", (e) => problems.push({ step, problem: `page error: ${e.message}` }));
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED" || offsite.includes(r.url()))
      problems.push({ step, problem: `failed request: ${r.url()} (${r.failure()?.errorText})` });
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push({ step, problem: `HTTP ${r.status()}: ${r.url()}` });
  });
  const shot = async (name) => {
    const file = join(shotDir, `globe-${mode}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
  };

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  await page.waitForSelector("#status[data-state=ready]", { timeout: 300000 });
  // The map comes up after the first results: the globe, or the note that there is none.
  await page.waitForSelector("#map-note[data-map]", { timeout: 300000 });
  const note = page.locator("#map-note");
  const map = await note.getAttribute("data-map");
  const noteText = await note.textContent();
  const counts = {};
  const toggles = {};
  let mapImg = false;
  let layersShown = [];
  if (map === "globe") {
    const globe = page.locator("#globe");
    // Let the imagery tiles and workers settle before the first picture.
    await page.waitForTimeout(3000);
    await shot("loaded");
    const globeShot = join(shotDir, "globe-webgl-globe.png");
    await globe.screenshot({ path: globeShot });
    screenshots.push(globeShot);
    const layers = await page.$$eval("#layers input[type=checkbox]", (xs) => xs.map((x) => x.id.replace(/^layer-/, "")));
    for (const id of layers) {
      counts[id] = Number(await globe.getAttribute(`data-${id}-count`));
    }
    for (const id of layers) {
      step = `toggle ${id}`;
      const box = page.locator(`#layer-${id}`);
      const before = await globe.screenshot();
      await box.uncheck();
      await page.waitForTimeout(700);
      const off = await globe.getAttribute("data-shown");
      const hidden = await globe.screenshot();
      if (id === "tracks") await shot("tracks-off");
      await box.check();
      await page.waitForTimeout(700);
      const on = await globe.getAttribute("data-shown");
      const after = await globe.screenshot();
      toggles[id] = { off, on, changed: !before.equals(hidden), restored: !hidden.equals(after) };
    }
  } else {
    step = "2-D map";
    mapImg = await page.locator("#map-2d img").evaluate((img) => img.complete && img.naturalWidth > 0 && !img.closest("[hidden]"));
    // Neither the globe nor its layer checkboxes take room on the page.
    layersShown = await page.$$eval("#globe, #layers", (xs) => xs.filter((x) => x.getBoundingClientRect().height > 0).map((x) => x.id));
    await shot("fallback");
  }

  step = "axe";
  await page.addScriptTag({ path: axePath });
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });

  console.log(JSON.stringify({ mode, map, note: noteText, counts, toggles, map_img: mapImg, globe_shown: layersShown, axe, offsite, problems, screenshots }));
} catch (e) {
  console.error(`step ${step}: ${e.message}`);
  console.error(JSON.stringify({ offsite, problems }));
  status = 1;
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
