// The playground's Vite config (scripts/build-playground.mjs builds it; `npx vite playground`
// serves it for development). Preact through esbuild's automatic JSX runtime; relative asset
// URLs (base './') so the built folder works at any path, from `llmts serve` or any static host.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2022', emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  logLevel: 'warn',
});
