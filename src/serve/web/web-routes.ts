import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';

/**
 * The browser pages of `threadline serve`: `/` (chat) and `/admin` (operator view), plain HTML, CSS and vanilla JS
 * modules that call the /v1 API with the key the user pastes. The files sit next to this module: in `src/` while
 * developing, in `dist/` after `npm run build` (which copies them, see scripts/copy-web-assets.mjs).
 */
const ASSETS = {
  'chat.html': 'text/html; charset=utf-8',
  'admin.html': 'text/html; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
  'admin.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
} as const;

type AssetName = keyof typeof ASSETS;

/** Scripts and styles from this origin only, no inline ones, nothing from elsewhere, never framed. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** Read once, when the app is made: a build that lost a file fails at startup, not on the first page view. */
function loadAssets(dir: string): Map<AssetName, Asset> {
  const assets = new Map<AssetName, Asset>();
  for (const [name, type] of Object.entries(ASSETS) as Array<[AssetName, string]>) {
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = new Uint8Array(readFileSync(path.join(dir, name)));
    } catch (error) {
      throw new Error(`the web page file ${name} is missing from ${dir} (run npm run build, which copies them)`, { cause: error });
    }
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** GET / (chat), GET /admin (operator view) and GET /web/<file>: no key needed, the pages ask for one. */
export function webRoutes(dir: string = import.meta.dirname): Hono {
  const assets = loadAssets(dir);
  const app = new Hono();

  const send = (name: AssetName) => (c: Context) => {
    const asset = assets.get(name)!;
    const headers = {
      'Content-Type': asset.type,
      'Content-Security-Policy': WEB_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
    };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  };

  app.get('/', send('chat.html'));
  app.get('/admin', send('admin.html'));
  for (const name of Object.keys(ASSETS) as AssetName[]) {
    if (!name.endsWith('.html')) app.get(`/web/${name}`, send(name));
  }
  return app;
}
