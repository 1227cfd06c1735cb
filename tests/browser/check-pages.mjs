// Opens HTML and SVG files in Debian's headless Chromium (one browser, one page per file) and reports,
// for each file, every console error, uncaught page error, failed request and image that did not load,
// with a full-page screenshot kept in the screenshot folder.
//
// Usage: node check-pages.mjs SCREENSHOT_DIR FILE...
// Prints one JSON object per line on stdout: {"file", "screenshot", "images": N, "drawings": N,
// "problems": [..]} (images: <img> and SVG <image> elements; drawings: inline SVGs of an HTML page).
// Exit status 0 when every file was opened (whatever it showed: the caller judges the problems),
// 1 when the browser could not be started or a file could not be opened at all.

import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { launch } from "./harness.mjs";

const [shotDir, ...files] = process.argv.slice(2);
if (!shotDir || files.length === 0) {
  console.error("usage: node check-pages.mjs SCREENSHOT_DIR FILE...");
  process.exit(1);
}

let browser;
try {
  browser = await launch();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
const { context } = browser;

let status = 0;
for (const [i, file] of files.entries()) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) =>
    problems.push(`failed request: ${r.url().slice(0, 200)} (${r.failure()?.errorText ?? "?"})`),
  );
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url().slice(0, 200)}`);
  });
  const url = pathToFileURL(resolve(file)).href;
  try {
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
  } catch (e) {
    console.error(`${file}: cannot open: ${e.message}`);
    status = 1;
    await page.close();
    continue;
  }
  // Every <img> (HTML) and <image> (SVG) must have loaded: an HTML image by its naturalWidth, an SVG
  // image by loading its reference again as an HTML image.
  const images = await page.evaluate(async () => {
    const bad = [];
    const imgs = Array.from(document.images ?? []);
    for (const img of imgs) {
      if (!img.complete) {
        await new Promise((ok) => {
          img.addEventListener("load", ok);
          img.addEventListener("error", ok);
        });
      }
      if (img.naturalWidth === 0) bad.push(`image did not load: ${(img.getAttribute("src") ?? "").slice(0, 120)}`);
    }
    const svgImages = Array.from(document.getElementsByTagNameNS("http://www.w3.org/2000/svg", "image"));
    for (const el of svgImages) {
      const href = el.getAttribute("href") ?? el.getAttributeNS("http://www.w3.org/1999/xlink", "href") ?? "";
      const probe = new Image();
      const loaded = await new Promise((ok) => {
        probe.onload = () => ok(probe.naturalWidth > 0);
        probe.onerror = () => ok(false);
        probe.src = new URL(href, document.baseURI).href;
      });
      if (!loaded) bad.push(`SVG image did not load: ${href.slice(0, 120)}`);
    }
    // Every inline SVG drawing of an HTML page takes room on the page.
    const drawings = document.documentElement.localName === "svg" ? [] : Array.from(document.querySelectorAll("svg"));
    for (const [k, svg] of drawings.entries()) {
      const box = svg.getBoundingClientRect();
      if (!(box.width > 0 && box.height > 0)) bad.push(`inline SVG #${k} has no size on the page`);
    }
    return { count: imgs.length + svgImages.length, drawings: drawings.length, bad };
  });
  problems.push(...images.bad);
  const screenshot = join(shotDir, `${String(i).padStart(2, "0")}-${basename(dirname(resolve(file)))}-${basename(file)}.png`);
  // A standalone SVG document has no scrolling body to measure: the viewport shows it whole.
  const fullPage = !file.toLowerCase().endsWith(".svg");
  try {
    await page.screenshot({ path: screenshot, fullPage, timeout: 30000 });
  } catch (e) {
    problems.push(`screenshot failed: ${e.message.split("\n")[0]}`);
  }
  console.log(JSON.stringify({ file, screenshot, images: images.count, drawings: images.drawings, problems }));
  await page.close();
}
await browser.close();
process.exit(status);
