import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API serves ui/dist in every mode. `npx vite ui` (the dev server) forwards API calls to a running
// API, by default the embedded one on 127.0.0.1:3000.
const apiUrl = process.env.SALES_BLITZ_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP allows scripts and styles from the API's own origin only, so nothing may be inlined.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(['/api', '/auth', '/signing', '/oauth'].map((prefix) => [prefix, apiUrl])),
  },
});
