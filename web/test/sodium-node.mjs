// Loads the vendored browser bundle web/static/sodium.js in node, the way a browser would
// run it: as a classic script whose global object has `crypto` but no `process`,
// `require` or `module` (the bundle would otherwise take its node path and look for the
// npm package). Also records whether the WebAssembly path was used (the page's CSP allows
// 'wasm-unsafe-eval'; the pure-JS fallback would work too but is slower).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

let loaded = null;

export async function loadSodium() {
  if (loaded) return loaded;
  const code = readFileSync(STATIC_DIR + 'sodium.js', 'utf8');
  const stats = { wasmInstantiated: 0 };
  const wasm = {
    ...Object.fromEntries(Object.getOwnPropertyNames(WebAssembly).map((k) => [k, WebAssembly[k]])),
    instantiate: async (...args) => {
      const r = await WebAssembly.instantiate(...args);
      stats.wasmInstantiated++;
      return r;
    },
  };
  const win = { crypto: globalThis.crypto };
  const run = vm.runInThisContext(
    '(function (window, self, globalThis, global, process, exports, module, define, require, __filename, __dirname, WebAssembly) {\n'
      + code + '\n})',
    { filename: 'web/static/sodium.js' },
  );
  run.call(win, win, win, win, win, undefined, undefined, undefined, undefined, undefined, undefined, undefined, wasm);
  await win.sodium.ready;
  loaded = { sodium: win.sodium, stats };
  return loaded;
}
