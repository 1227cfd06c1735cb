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

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const [url, shotDir] = process.argv.slice(2);
if (!url || !shotDir) {
  console.error("usage: node check-verification.mjs URL SCREENSHOT_DIR");
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
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
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
  page.on("console", (m) => {
    if (m.type() === "error") problems.push({ step, problem: `console error: ${m.text()}`, url: m.location().url ?? "" });
  });
  page.on("pageerror", (e) => problems.push({ step, problem: `page error: ${e.message}`, url: "" }));
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED" || offsite.includes(r.url()))
      problems.push({ step, problem: `failed request (${r.failure()?.errorText})`, url: r.url() });
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push({ step, problem: `HTTP ${r.status()}`, url: r.url() });
  });
  const shot = async (name) => {
    const file = join(shotDir, `verification-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
  };

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  step = "open the verification tab";
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
    step = `verify ${file}`;
    await page.locator(`#alert-table button[data-file="${file}"]`).click();
    await page.waitForSelector(`#evidence-result[data-file="${file}"]:not([data-verdict=running])`, { timeout: 120000 });
    const result = page.locator("#evidence-result");
    verdicts[file] = { verdict: await result.getAttribute("data-verdict"), text: await result.innerText() };
    if (file.includes("tampered") || Object.keys(verdicts).length === 1) await shot(file.replace(/\.json$/, ""));
  }

  step = "axe";
  await page.addScriptTag({ path: axePath });
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });

  console.log(JSON.stringify({ trust, logs, timelines, alerts, verdicts, axe, offsite, problems, screenshots }));
} catch (e) {
  console.error(`step ${step}: ${e.message}`);
  console.error(JSON.stringify({ offsite, problems }));
  status = 1;
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
