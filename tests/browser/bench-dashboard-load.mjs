// First load of `shieldwatch dashboard` in Debian's headless Chromium (crates/dashboard/bench/dashboard.sh):
// for each of RUNS fresh pages, the time from navigation to the page's load event, to the first
// results shown (the status line ready) and to the globe drawn up (Chromium's software WebGL). Prints one
// JSON object: {"load_ms": [..], "ready_ms": [..], "globe_ms": [..]}.
// With `verification`, the page is opened on its Verification tab and "ready" is the verification view
// with every log's status, timelines and the alert list shown; then "Verify evidence" is pressed on the
// first alert and the time to its verdict is added as "evidence_ms" (with the verdicts).
//
// Usage: node bench-dashboard-load.mjs URL RUNS [verification]
import { chromium } from "playwright-core";
import { chromiumArgs } from "./harness.mjs";

const [url, runs = "5", view = "study"] = process.argv.slice(2);
const verification = view === "verification";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  // SwiftShader's WebGL: the study view's globe comes up as where a GPU is present (more slowly).
  args: chromiumArgs("webgl"),
});
const load_ms = [];
const ready_ms = [];
const globe_ms = [];
const evidence_ms = [];
const verdicts = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(verification ? `${url}#verification` : url, { waitUntil: "load" });
    load_ms.push(performance.now() - t0);
    await page.waitForSelector(verification ? "#view-verification[data-state=ready]" : "#status[data-state=ready]", {
      timeout: 120000,
    });
    ready_ms.push(performance.now() - t0);
    if (!verification) {
      await page.waitForSelector("#globe[data-globe=ready]", { timeout: 120000 });
      globe_ms.push(performance.now() - t0);
    }
    if (verification) {
      const t1 = performance.now();
      await page.locator("#alert-table button[data-file]").first().click();
      await page.waitForSelector("#evidence-result[data-verdict]:not([data-verdict=running])", { timeout: 120000 });
      evidence_ms.push(performance.now() - t1);
      verdicts.push(await page.locator("#evidence-result").getAttribute("data-verdict"));
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(verification ? { load_ms, ready_ms, evidence_ms, verdicts } : { load_ms, ready_ms, globe_ms }));
