import { defineConfig } from "vite";

// Plain Preact with esbuild's automatic JSX runtime: no framework plugin needed.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { target: "es2020", cssCodeSplit: true, sourcemap: false, modulePreload: { polyfill: false } },
  server: { proxy: { "/v1": process.env.CROWDFIX_API || "http://127.0.0.1:8000" } },
});
