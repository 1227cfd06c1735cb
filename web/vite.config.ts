// Builds the dashboard page into dist/ (`npm run build`); crates/dashboard/build.rs builds it into the
// crate's OUT_DIR instead and embeds it. Everything is bundled: the page loads nothing from the network.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    target: "es2022",
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
});
