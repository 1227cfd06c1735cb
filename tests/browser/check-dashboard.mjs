// Drives `shieldwatch dashboard` in Debian's headless Chromium as a user would: loads the page, moves the
// first battery's burnout-speed slider to each speed given, reads the engageable trajectories per launch
// country, runs axe-core on the page with its results, opens a trajectory's timeline, types a value
// outside the parameter's physical limits and reads the message the page shows. A route guard aborts (and reports) every request that would leave the
// machine; console errors, page errors, failed requests and HTTP errors are reported with the step they
// happened in. Screenshots of each step go to the screenshot folder.
//
// Usage: node check-dashboard.mjs URL SCREENSHOT_DIR SPEED_MPS...
// Prints one JSON object on stdout: {"counts": {SPEED: {COUNTRY: engageable}}, "timeline": caption,
// "refused": message shown, "axe": [serious or critical violations], "offsite": [urls], "problems": [{"step", "problem"}], "screenshots": [..]}.
// Exit status 0 when every step ran (the caller judges what it saw), 1 otherwise.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const [url, shotDir, ...speeds] = process.argv.slice(2);
if (!url || !shotDir || speeds.length === 0) {
  console.error("usage: node check-dashboard.mjs URL SCREENSHOT_DIR SPEED_MPS...");
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
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      // No WebGL: the page shows its 2-D map (the globe is checked by check-globe.mjs).
      "--disable-3d-apis",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1400, height: 1000 },
  });
  // The route guard: anything but this machine is aborted and reported.
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if ((u.protocol === "http:" || u.protocol === "https:") && !local.has(u.hostname)) {
      offsite.push(u.href);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push({ step, problem: `console error: ${m.text()}` });
  });
  page.on("pageerror", (e) => problems.push({ step, problem: `page error: ${e.message}` }));
  page.on("requestfailed", (r) => {
    // A request the page itself cancels (a newer change superseding an older one) is not a failure.
    if (r.failure()?.errorText !== "net::ERR_ABORTED" || offsite.includes(r.url()))
      problems.push({ step, problem: `failed request: ${r.url()} (${r.failure()?.errorText})` });
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push({ step, problem: `HTTP ${r.status()}: ${r.url()}` });
  });
  const shot = async (name) => {
    const file = join(shotDir, `dashboard-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
  };
  const ready = (speed) =>
    page.waitForSelector(
      speed === undefined ? "#status[data-state=ready]" : `#status[data-state=ready][data-speed="${speed}"]`,
      { timeout: 120000 },
    );

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  await ready();
  await shot("loaded");

  const slider = page.locator('input[type=range][data-path$=".burnout_speed_mps"]').first();
  const counts = {};
  for (const speed of speeds) {
    step = `slider ${speed}`;
    // Move the slider as a user's drag ends: set the value, then the input and change events.
    await slider.evaluate((el, v) => {
      el.value = v;
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    }, speed);
    await ready(Number(speed));
    counts[speed] = Object.fromEntries(
      await page.$$eval("#counts tbody tr", (rows) =>
        rows.map((r) => [r.dataset.country, Number(r.querySelector('[data-field="engageable"]').textContent)]),
      ),
    );
    await shot(`speed-${speed}`);
  }

  // axe-core on the page with its results shown: every violation of impact serious or critical.
  step = "axe";
  await page.addScriptTag({ path: axePath });
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });

  step = "timeline";
  await page.locator('#trajectory-table tr[data-engageable="true"] button').first().click();
  const timeline = await page.locator("#timeline-caption").textContent({ timeout: 10000 });
  await shot("timeline");

  step = "refused";
  const box = page.locator('input[type=number][data-path$=".burnout_speed_mps"]').first();
  await box.fill("-1"); // km/s, as the box shows it: sent as -1000 m/s
  await box.press("Tab"); // leaving the box commits the value (its change event)
  await page.waitForSelector("#status[data-state=error]", { timeout: 30000 });
  const refused = await page.locator("#error").textContent();
  await shot("refused");

  console.log(JSON.stringify({ counts, timeline, refused, axe, offsite, problems, screenshots }));
} catch (e) {
  console.error(`step ${step}: ${e.message}`);
  console.error(JSON.stringify({ offsite, problems }));
  status = 1;
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
