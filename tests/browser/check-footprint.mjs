// Drives the footprint maps of `shieldwatch dashboard` in Debian's headless Chromium, in one of two modes
// (as check-globe.mjs: `webgl` with SwiftShader's software WebGL, the CesiumJS globe; `none` with no
// WebGL, the 2-D map):
//
// - `webgl`: a grid spacing of 0 is refused (the server's 4xx message shown on the page); a fine
//   defended-area map is started, its progress bar is read until it has advanced twice, then it is
//   cancelled; a coarse threat-origin map is computed to the end, its polygons become the globe's
//   footprint layer, whose checkbox hides and shows it again (read from the globe and its picture).
// - `none`: a coarse threat-origin map is computed to the end and its 2-D map shown; the checkbox hides
//   and shows it.
//
// A route guard aborts (and reports) every request that would leave the machine; console errors, page
// errors, failed requests and HTTP errors are reported with the step they happened in; axe-core runs on
// the page with a finished footprint. Screenshots go to the screenshot folder.
//
// Usage: node check-footprint.mjs URL SCREENSHOT_DIR webgl|none
// Prints one JSON object on stdout: {"mode", "map", "refused": text shown, "progress": [{"done", "total",
// "now"}...], "cancelled": {"status", "done", "total", "after"}, "finished": {"status", "job", "shown",
// "legend": [...], "count", "off", "on", "changed", "restored", "img", "hidden", "visible"}, "axe": [...],
// "offsite": [...], "problems": [{"step", "problem", "url"}], "screenshots": [...]}.
// Exit status 0 when every step ran (the caller judges what it saw), 1 otherwise.

import { join } from "node:path";
import { runChecks, screenshotOnceChanged, seriousAxeViolations } from "./harness.mjs";

const [url, shotDir, mode] = process.argv.slice(2);
if (!url || !shotDir || (mode !== "webgl" && mode !== "none")) {
  console.error("usage: node check-footprint.mjs URL SCREENSHOT_DIR webgl|none");
  process.exit(1);
}

await runChecks({ graphics: mode, shotDir, shotPrefix: `footprint-${mode}`, timeout: 120000 }, async (s) => {
  const { page, shot, offsite, problems, screenshots } = s;
  const bar = page.locator("#fp-progress");
  const fpStatus = page.locator("#fp-status");
  const globe = page.locator("#globe");

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  await page.waitForSelector("#status[data-state=ready]", { timeout: 300000 });
  await page.waitForSelector("#map-note[data-map]", { timeout: 300000 });
  const map = await page.locator("#map-note").getAttribute("data-map");
  // The site list is filled from the first study.
  await page.waitForSelector("#fp-site option", { state: "attached" });

  let refused = null;
  const progress = [];
  let cancelled = null;
  if (mode === "webgl") {
    s.step = "refused";
    await page.selectOption("#fp-map", "threat-origin");
    await page.fill("#fp-resolution", "0");
    await page.click("#fp-start");
    await page.waitForSelector("#fp-error:not([hidden])", { timeout: 30000 });
    refused = await page.locator("#fp-error").textContent();
    await shot("refused");

    s.step = "cancel";
    await page.selectOption("#fp-map", "defended-area");
    // 0.05° (721 × 1041 points) on the server's one map thread: long enough on any machine that the job
    // is still running when the bar has advanced twice and "Cancel" is clicked (at 0.2° on two threads a
    // fast machine finished it before the click; at 0.1° a loaded CI once did, the footprints having got
    // faster). The progress screenshot is taken after the click, so it takes none of the job's time.
    await page.fill("#fp-resolution", "0.05");
    await page.click("#fp-start");
    await page.waitForSelector("#fp-error", { state: "hidden", timeout: 30000 });
    // Progress read from the bar until it has advanced twice: all its attributes in one evaluation, so
    // that they are one state of the bar (read one by one, the page could update it between two reads).
    const read = () =>
      bar.evaluate((el) => ({
        done: Number(el.getAttribute("data-done")),
        total: Number(el.getAttribute("data-total")),
        now: Number(el.getAttribute("aria-valuenow")),
        text: el.getAttribute("aria-valuetext"),
        role: el.getAttribute("role"),
      }));
    for (let i = 0; i < 2400 && progress.length < 3; i++) {
      const p = await read();
      if (p.done > 0 && (progress.length === 0 || p.done > progress[progress.length - 1].done)) {
        progress.push(p);
      }
      await page.waitForTimeout(100);
    }
    await page.click("#fp-cancel");
    await shot("progress");
    await page.waitForSelector("#fp-status[data-state=cancelled]", { timeout: 120000 });
    const c = await read();
    await page.waitForTimeout(1500);
    cancelled = { status: await fpStatus.textContent(), done: c.done, total: c.total, after: (await read()).done };
    await shot("cancelled");
  }

  s.step = "finish";
  await page.selectOption("#fp-map", "threat-origin");
  await page.selectOption("#fp-site", "Berlin");
  await page.fill("#fp-resolution", "2");
  await page.click("#fp-start");
  await page.waitForSelector("#fp-status[data-state=done]", { timeout: 300000 });
  const job = await page.locator("#footprint-form").getAttribute("data-job");
  await page.waitForFunction((j) => document.querySelector("#footprint-form")?.getAttribute("data-shown") === j, job);
  const finished = {
    status: await fpStatus.textContent(),
    job,
    shown: await page.locator("#footprint-form").getAttribute("data-shown"),
    legend: await page.$$eval("#fp-legend li", (xs) => xs.map((x) => x.textContent.trim())),
  };
  const box = page.locator("#layer-footprint");
  if (map === "globe") {
    await page.waitForTimeout(2000);
    finished.count = Number(await globe.getAttribute("data-footprint-count"));
    await globe.scrollIntoViewIfNeeded();
    await shot("finished");
    const gshot = join(shotDir, `footprint-${mode}-globe.png`);
    await globe.screenshot({ path: gshot });
    screenshots.push(gshot);
    const before = await globe.screenshot();
    await box.uncheck();
    const hidden = await screenshotOnceChanged(page, globe, before);
    finished.off = await globe.getAttribute("data-shown");
    await box.check();
    const after = await screenshotOnceChanged(page, globe, hidden);
    finished.on = await globe.getAttribute("data-shown");
    finished.changed = !before.equals(hidden);
    finished.restored = !hidden.equals(after);
  } else {
    const img = page.locator("#fp-map-img");
    await page.waitForFunction(() => {
      const i = document.querySelector("#fp-map-img");
      return i instanceof HTMLImageElement && i.complete && i.naturalWidth > 0;
    });
    finished.img = await img.getAttribute("src");
    await img.scrollIntoViewIfNeeded();
    await shot("finished");
    await box.uncheck();
    finished.hidden = await page.locator("#fp-map-2d").isHidden();
    await box.check();
    finished.visible = await page.locator("#fp-map-2d").isVisible();
  }

  s.step = "axe";
  const axe = await seriousAxeViolations(page);

  console.log(JSON.stringify({ mode, map, refused, progress, cancelled, finished, axe, offsite, problems, screenshots }));
});
