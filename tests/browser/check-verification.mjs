// Drives the dashboard's verification view in Debian's headless Chromium as a user would: opens the
// Verification tab, reads each log's status (or the message the page shows for a log that does not
// answer) and telemetry timelines, lists the monitor's alerts, presses "Verify evidence" on every alert
// and reads the verdict and its reason, runs axe-core on the view with its results. A route guard aborts
// (and reports) every request that would leave the machine; console errors, page errors, failed requests
// and HTTP errors are reported with the step they happened in and the URL. Screenshots of each step go to
// the screenshot folder.
//
// Usage: node check-verification.mjs URL SCREENSHOT_DIR
// Prints one JSON object on stdout: {"logs": [{"log", "state", "text"}], "timelines": [{"log", "state",
// "sensors", "gaps", "text"}], "trust": path shown, "alerts": [file], "verdicts": {file: {"verdict",
// "text"}}, "axe": [serious or critical violations], "offsite": [urls], "problems": [{"step", "problem",
// "url"}], "screenshots": [..]}. Exit status 0 when every step ran (the caller judges what it saw), 1
// otherwise.

import { runChecks, seriousAxeViolations } from "./harness.mjs";

const [url, shotDir] = process.argv.slice(2);
if (!url || !shotDir) {
  console.error("usage: node check-verification.mjs URL SCREENSHOT_DIR");
  process.exit(1);
}

await runChecks({ graphics: undefined, shotDir, shotPrefix: "verification" }, async (s) => {
  const { page, shot, offsite, problems, screenshots } = s;

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  s.step = "open the verification tab";
  await page.getByRole("tab", { name: "Verification" }).click();
  await page.waitForSelector("#view-verification[data-state=ready]", { timeout: 120000 });
  await shot("loaded");

  const trust = await page.locator("#trust-path").textContent();
  const logs = await page.$$eval("#log-status article.log", (arts) =>
    arts.map((a) => ({ log: Number(a.dataset.log), state: a.dataset.state, text: a.innerText })),
  );
  const timelines = await page.$$eval("#timelines article.timelines", (arts) =>
    arts.map((a) => ({
      log: Number(a.dataset.log),
      state: a.dataset.state,
      sensors: Number(a.dataset.sensors ?? -1),
      gaps: Number(a.dataset.gaps ?? -1),
      text: a.innerText,
    })),
  );
  const alerts = await page.$$eval("#alert-table button[data-file]", (bs) => bs.map((b) => b.dataset.file));

  const verdicts = {};
  for (const file of alerts) {
    s.step = `verify ${file}`;
    await page.locator(`#alert-table button[data-file="${file}"]`).click();
    await page.waitForSelector(`#evidence-result[data-file="${file}"]:not([data-verdict=running])`, { timeout: 120000 });
    const result = page.locator("#evidence-result");
    verdicts[file] = { verdict: await result.getAttribute("data-verdict"), text: await result.innerText() };
    if (file.includes("tampered") || Object.keys(verdicts).length === 1) await shot(file.replace(/\.json$/, ""));
  }

  s.step = "axe";
  const axe = await seriousAxeViolations(page);

  console.log(JSON.stringify({ trust, logs, timelines, alerts, verdicts, axe, offsite, problems, screenshots }));
});
