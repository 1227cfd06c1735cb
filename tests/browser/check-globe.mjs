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

import { join } from "node:path";
import { runChecks, screenshotOnceChanged, seriousAxeViolations } from "./harness.mjs";

const [url, shotDir, mode] = process.argv.slice(2);
if (!url || !shotDir || (mode !== "webgl" && mode !== "none")) {
  console.error("usage: node check-globe.mjs URL SCREENSHOT_DIR webgl|none");
  process.exit(1);
}

await runChecks({ graphics: mode, shotDir, shotPrefix: `globe-${mode}`, timeout: 90000 }, async (s) => {
  const { page, shot, offsite, problems, screenshots } = s;

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
      s.step = `toggle ${id}`;
      const box = page.locator(`#layer-${id}`);
      const before = await globe.screenshot();
      await box.uncheck();
      const hidden = await screenshotOnceChanged(page, globe, before);
      const off = await globe.getAttribute("data-shown");
      if (id === "tracks") await shot("tracks-off");
      await box.check();
      const after = await screenshotOnceChanged(page, globe, hidden);
      const on = await globe.getAttribute("data-shown");
      toggles[id] = { off, on, changed: !before.equals(hidden), restored: !hidden.equals(after) };
    }
  } else {
    s.step = "2-D map";
    // The map is fetched after the study is drawn: wait for it to load (a slow server is not a missing
    // map), then read whether it loaded and is shown. A map that never loads is reported as `false`.
    mapImg = await page
      .waitForFunction(
        () => {
          const img = document.querySelector("#map-2d img");
          return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0 && !img.closest("[hidden]");
        },
        null,
        { timeout: 120000 },
      )
      .then(
        () => true,
        (e) => {
          problems.push({ step: s.step, problem: `the 2-D map did not load: ${e.message.split("\n")[0]}`, url: "" });
          return false;
        },
      );
    // Neither the globe nor its layer checkboxes take room on the page.
    layersShown = await page.$$eval("#globe, #layers", (xs) => xs.filter((x) => x.getBoundingClientRect().height > 0).map((x) => x.id));
    await shot("fallback");
  }

  s.step = "axe";
  const axe = await seriousAxeViolations(page);

  console.log(JSON.stringify({ mode, map, note: noteText, counts, toggles, map_img: mapImg, globe_shown: layersShown, axe, offsite, problems, screenshots }));
});
