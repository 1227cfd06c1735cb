// First load of `shieldwatch dashboard` in Debian's headless Chromium (crates/dashboard/bench/dashboard.sh):
// for each of RUNS fresh pages, the time from navigation to the page's load event, to the first
// results shown (the status line ready) and to the globe drawn up (Chromium's software WebGL). Prints one
// JSON object: {"load_ms": [..], "ready_ms": [..], "globe_ms": [..]}.
// With `verification`, the page is opened on its Verification tab and "ready" is the verification view
// with every log's status, timelines and the alert list shown; then "Verify evidence" is pressed on the
// first alert and the time to its verdict is added as "evidence_ms" (with the verdicts).
// With `changes PATH=VALUE...`, one page is loaded (no WebGL: the 2-D map, as where no GPU is present)
// and each parameter's slider is set in turn as a user's drag ends; "change_ms" is the time from the
// slider's change event to the page showing the recomputed results (the page's 150 ms wait for further
// moves, the request, and the tables, charts and map redrawn: the status line back to ready), one entry
// per change with its path, value and the state reached.
//
// Usage: node bench-dashboard-load.mjs URL RUNS [verification | changes PATH=VALUE...]
import { chromium } from "playwright-core";
import { chromiumArgs } from "./harness.mjs";

const [url, runs = "5", view = "study", ...changeArgs] = process.argv.slice(2);
const verification = view === "verification";
if (view === "changes") {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: chromiumArgs("none"),
  });
  const change_ms = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForSelector("#status[data-state=ready]", { timeout: 120000 });
    for (const arg of changeArgs) {
      const [path, value] = arg.split("=");
      const [ms, state, taken] = await page.evaluate(
        ({ path, value }) => {
          const status = document.querySelector("#status");
          const range = [...document.querySelectorAll("input[type=range]")].find((el) => el.dataset.path === path);
          if (!range) throw new Error(`no slider for ${path}`);
          return new Promise((resolve) => {
            let busy = false;
            let t0 = 0;
            const seen = new MutationObserver(() => {
              if (status.dataset.state === "busy") busy = true;
              else if (busy) {
                seen.disconnect();
                resolve([performance.now() - t0, status.dataset.state, Number(range.value)]);
              }
            });
            seen.observe(status, { attributes: true, attributeFilter: ["data-state"] });
            range.value = value;
            range.dispatchEvent(new Event("input", { bubbles: true }));
            t0 = performance.now();
            range.dispatchEvent(new Event("change", { bubbles: true }));
          });
        },
        { path, value },
      );
      // `taken`: the value the slider took (its step may round the one asked).
      change_ms.push({ path, value: taken, ms: Math.round(ms), state });
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ change_ms }));
  process.exit(0);
}
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
