// What every page check shares: Debian's headless Chromium started with the project's flags in a throw-away
// profile, a route guard that aborts (and records) every request that would leave this machine, and
// listeners that record console errors, page errors, failed requests and HTTP errors with the step they
// happened in.
//
// A check script calls `runChecks(options, body)`; `body` drives the page and prints its JSON result. The
// process exits 0 when `body` returned (the caller judges what was seen) and 1 when a step failed, with
// the step and everything recorded so far on stderr.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** axe-core's browser bundle, injected into a page with `page.addScriptTag({ path: axePath })`. */
export const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Chromium's command line. `graphics` is "webgl" (software WebGL through SwiftShader), "none" (no 3-D APIs:
 * the pages show their 2-D fallbacks) or undefined (Chromium's default).
 */
export function chromiumArgs(graphics) {
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (graphics === "webgl") args.push("--enable-unsafe-swiftshader", "--use-angle=swiftshader");
  else if (graphics === "none") args.push("--disable-3d-apis");
  return args;
}

/**
 * Starts Chromium (`$CHROMIUM`, else /usr/bin/chromium) in a fresh profile directory. Returns the browser
 * context and `close()`, which closes it and removes the profile. Throws naming the executable when the
 * browser cannot be started.
 */
export async function launch(graphics) {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  const userDataDir = mkdtempSync(join(tmpdir(), "shieldwatch-chromium-"));
  const removeProfile = () => rmSync(userDataDir, { recursive: true, force: true });
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: chromiumArgs(graphics),
      viewport: { width: 1400, height: 1000 },
    });
  } catch (e) {
    removeProfile();
    throw new Error(`cannot start ${executablePath}: ${e.message}`);
  }
  return {
    context,
    close: async () => {
      try {
        await context.close();
      } finally {
        removeProfile();
      }
    },
  };
}

/** Runs axe-core on the page and returns its serious and critical violations (three nodes each at most). */
export async function seriousAxeViolations(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
}

/**
 * Opens one guarded page and runs `body(session)`, then exits the process.
 *
 * options: `graphics` (see `chromiumArgs`), `shotDir` and `shotPrefix` (screenshots are
 * `SHOT_DIR/PREFIX-NAME.png`), `timeout` (the page's default timeout in ms, if given).
 *
 * session: `page`, `offsite` (URLs the guard aborted), `problems` (`{step, problem, url}`: the problem
 * without the URL, which is in `url`, empty when there is none), `screenshots` (files written), `step`
 * (set it before each step so problems name it) and `shot(name)` (a full-page screenshot).
 */
export async function runChecks(options, body) {
  const offsite = [];
  const problems = [];
  const screenshots = [];
  const session = { page: undefined, offsite, problems, screenshots, step: "load", shot: undefined };
  const note = (problem, url) => problems.push({ step: session.step, problem, url: url ?? "" });
  let browser;
  let status = 0;
  try {
    browser = await launch(options.graphics);
    await browser.context.route("**/*", (route) => {
      const u = new URL(route.request().url());
      if ((u.protocol === "http:" || u.protocol === "https:") && !LOCAL_HOSTS.has(u.hostname)) {
        offsite.push(u.href);
        return route.abort("blockedbyclient");
      }
      return route.continue();
    });
    const page = await browser.context.newPage();
    if (options.timeout !== undefined) page.setDefaultTimeout(options.timeout);
    page.on("console", (m) => {
      if (m.type() === "error") note(`console error: ${m.text()}`, m.location().url);
    });
    page.on("pageerror", (e) => note(`page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      // A request the page itself cancels (a newer change superseding an older one) is not a failure;
      // one the route guard aborted is.
      if (r.failure()?.errorText !== "net::ERR_ABORTED" || offsite.includes(r.url()))
        note(`failed request (${r.failure()?.errorText})`, r.url());
    });
    page.on("response", (r) => {
      if (r.status() >= 400) note(`HTTP ${r.status()}`, r.url());
    });
    session.page = page;
    session.shot = async (name) => {
      const file = join(options.shotDir, `${options.shotPrefix}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      screenshots.push(file);
    };
    await body(session);
  } catch (e) {
    console.error(`step ${session.step}: ${e.message}`);
    console.error(JSON.stringify({ offsite, problems }));
    status = 1;
  } finally {
    if (browser) await browser.close();
  }
  process.exit(status);
}

/**
 * Screenshots `locator` until the picture differs from `before` (a PNG buffer) or `timeoutMs` has
 * passed, and returns the last screenshot. A layer shown or hidden on a globe in request-render mode
 * is drawn on the next frame, which under software WebGL on a loaded machine may come seconds later:
 * a fixed wait would read the old picture. The caller still compares: a picture that never changes
 * comes back equal to `before`.
 */
export async function screenshotOnceChanged(page, locator, before, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let now = await locator.screenshot();
  while (now.equals(before) && Date.now() < until) {
    await page.waitForTimeout(250);
    now = await locator.screenshot();
  }
  return now;
}
