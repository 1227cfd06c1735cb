// Drives `shieldwatch dashboard` in Debian's headless Chromium as a user would: loads the page, moves the
// first battery's burnout-speed slider to each speed given, reads the engageable trajectories per launch
// country, runs axe-core on the page with its results, opens a trajectory's timeline, types a value
// outside the parameter's physical limits and reads the message the page shows. A route guard aborts (and reports) every request that would leave the
// machine; console errors, page errors, failed requests and HTTP errors are reported with the step they
// happened in. Screenshots of each step go to the screenshot folder.
//
// Usage: node check-dashboard.mjs URL SCREENSHOT_DIR SPEED_MPS...
// Prints one JSON object on stdout: {"counts": {SPEED: {COUNTRY: engageable}}, "timeline": caption,
// "refused": message shown, "axe": [serious or critical violations], "offsite": [urls], "problems": [{"step", "problem", "url"}], "screenshots": [..]}.
// Exit status 0 when every step ran (the caller judges what it saw), 1 otherwise.

import { runChecks, seriousAxeViolations } from "./harness.mjs";

const [url, shotDir, ...speeds] = process.argv.slice(2);
if (!url || !shotDir || speeds.length === 0) {
  console.error("usage: node check-dashboard.mjs URL SCREENSHOT_DIR SPEED_MPS...");
  process.exit(1);
}

// No WebGL: the page shows its 2-D map (the globe is checked by check-globe.mjs).
await runChecks({ graphics: "none", shotDir, shotPrefix: "dashboard" }, async (s) => {
  const { page, shot, offsite, problems, screenshots } = s;
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
    s.step = `slider ${speed}`;
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
  s.step = "axe";
  const axe = await seriousAxeViolations(page);

  s.step = "timeline";
  await page.locator('#trajectory-table tr[data-engageable="true"] button').first().click();
  const timeline = await page.locator("#timeline-caption").textContent({ timeout: 10000 });
  await shot("timeline");

  s.step = "refused";
  const box = page.locator('input[type=number][data-path$=".burnout_speed_mps"]').first();
  await box.fill("-1"); // km/s, as the box shows it: sent as -1000 m/s
  await box.press("Tab"); // leaving the box commits the value (its change event)
  await page.waitForSelector("#status[data-state=error]", { timeout: 30000 });
  const refused = await page.locator("#error").textContent();
  await shot("refused");

  console.log(JSON.stringify({ counts, timeline, refused, axe, offsite, problems, screenshots }));
});
