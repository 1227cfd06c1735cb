// Builds the dashboard page into dist/ (`npm run build`); crates/dashboard/build.rs builds it into the
// crate's OUT_DIR instead and embeds it. Everything is bundled: the page loads nothing from the network.
//
// CesiumJS is not bundled into the page's script: its prebuilt runtime is copied into `cesium/` of the
// output (the page loads it only where WebGL is available, src/globe.ts), keeping only what the globe
// uses at run time: Cesium.js, its web workers, the widget styles and the assets (Natural Earth II
// imagery, sky box, Earth-orientation tables, terrain-height table), without the lens-flare, water and
// map-icon textures and without the WebAssembly decoders for models, compressed textures and splats.
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vite";

const CESIUM = "node_modules/cesium/Build/Cesium";
const LEFT_OUT = ["Assets/Textures/LensFlare", "Assets/Textures/maki", "Assets/Textures/waterNormals"];

export default defineConfig({
  base: "/",
  build: {
    target: "es2022",
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  plugins: [
    {
      name: "cesium-runtime",
      apply: "build",
      writeBundle(options) {
        const out = join(options.dir ?? "dist", "cesium");
        mkdirSync(out, { recursive: true });
        cpSync(join(CESIUM, "Cesium.js"), join(out, "Cesium.js"));
        for (const dir of ["Workers", "Widgets", "Assets"]) {
          cpSync(join(CESIUM, dir), join(out, dir), {
            recursive: true,
            filter: (src: string) => !LEFT_OUT.some((l) => src.startsWith(join(CESIUM, l))),
          });
        }
      },
    },
  ],
});
