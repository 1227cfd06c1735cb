// First load of `shieldwatch dashboard` in Debian's headless Chromium (crates/dashboard/bench/dashboard.sh):
// for each of RUNS fresh pages, the time from navigation to the page's load event and to the first
// results shown (the status line ready). Prints one JSON object: {"load_ms": [..], "ready_ms": [..]}.
//
// Usage: node bench-dashboard-load.mjs URL RUNS
import { chromium } from "playwright-core";

const [url, runs = "5"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"],
});
const load_ms = [];
const ready_ms = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(url, { waitUntil: "load" });
    load_ms.push(performance.now() - t0);
    await page.waitForSelector("#status[data-state=ready]", { timeout: 120000 });
    ready_ms.push(performance.now() - t0);
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ load_ms, ready_ms }));
