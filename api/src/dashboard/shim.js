// Runs before the apalis board's UI starts (see api/src/dashboard/mod.rs). The UI that the
// apalis-board-api crate embeds was built to be served at "/" with its API at "/api/v1"; we serve
// it at /dashboard with the API at /dashboard/api/v1. This maps between the two at the browser's
// edges, without touching the board's own files:
// - requests (fetch, EventSource) to /api/v1/... go to /dashboard/api/v1/...;
// - the board's navigations (history.pushState/replaceState to "/queues") show as
//   "/dashboard/queues" in the address bar;
// - when the board reads window.location to route, it sees the path below /dashboard.
(() => {
  "use strict";
  const PREFIX = "/dashboard";
  const API = "/api/v1";
  const under = (path, root) => path === root || path.startsWith(root + "/");
  const strip = (path) => (under(path, PREFIX) ? path.slice(PREFIX.length) || "/" : path);
  const toApi = (u) => {
    const url = new URL(String(u), window.location.href);
    if (url.origin === window.location.origin && under(url.pathname, API)) url.pathname = PREFIX + url.pathname;
    return url.href;
  };
  const toPage = (u) => {
    if (u === undefined || u === null) return u;
    const url = new URL(String(u), window.location.origin + strip(window.location.pathname));
    if (url.origin === window.location.origin && !under(url.pathname, PREFIX)) {
      url.pathname = PREFIX + (url.pathname === "/" ? "" : url.pathname);
    }
    return url.href;
  };

  const fetch0 = window.fetch.bind(window);
  window.fetch = (input, init) =>
    input instanceof Request ? fetch0(new Request(toApi(input.url), input), init) : fetch0(toApi(input), init);
  const EventSource0 = window.EventSource;
  window.EventSource = class extends EventSource0 {
    constructor(url, options) {
      super(toApi(url), options);
    }
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = window.history[name].bind(window.history);
    window.history[name] = (state, title, url) => original(state, title, toPage(url));
  }

  // window.location cannot be redefined, so the board's import that reads it (wasm-bindgen's
  // `__wbg_location_*`) is wrapped as the module is instantiated.
  const loc = window.location;
  const boardLocation = {
    get origin() { return loc.origin; },
    get protocol() { return loc.protocol; },
    get host() { return loc.host; },
    get hostname() { return loc.hostname; },
    get port() { return loc.port; },
    get pathname() { return strip(loc.pathname); },
    get search() { return loc.search; },
    get hash() { return loc.hash; },
    get href() { return loc.origin + strip(loc.pathname) + loc.search + loc.hash; },
    set href(url) { loc.href = toPage(url); },
    assign(url) { loc.assign(toPage(url)); },
    replace(url) { loc.replace(toPage(url)); },
    reload() { loc.reload(); },
    toString() { return this.href; },
  };
  const wrapImports = (imports) => {
    for (const ns of Object.values(imports || {})) {
      for (const key of Object.keys(ns || {})) {
        if (key.startsWith("__wbg_location_") && typeof ns[key] === "function") {
          const original = ns[key];
          ns[key] = (target) => (target === window ? boardLocation : original(target));
        }
      }
    }
    return imports;
  };
  const instantiate = WebAssembly.instantiate;
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiate = (source, imports) => instantiate(source, wrapImports(imports));
  if (instantiateStreaming) {
    WebAssembly.instantiateStreaming = (source, imports) => instantiateStreaming(source, wrapImports(imports));
  }
})();
