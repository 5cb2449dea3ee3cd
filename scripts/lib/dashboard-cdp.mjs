// Drives headless Chromium over the Chrome DevTools Protocol to load the job dashboard with an
// operator's identity headers (a browser cannot be told to send headers otherwise), wait until the
// rendered DOM shows what is expected, and optionally save a screenshot.
//
// Usage: node --experimental-websocket dashboard-cdp.mjs URL [--header 'Name: value']...
//          [--expect TEXT]... [--screenshot FILE] [--timeout SECS]
// Needs Node's WebSocket (built in from Node 22; `--experimental-websocket` on Node 20) and
// Debian's chromium ($CHROMIUM, default /usr/bin/chromium). Exits 0 when every --expect text is in
// the page's text, 1 otherwise (printing the page text it saw).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const url = args.shift();
const headers = {};
const expects = [];
let screenshot = null;
let timeout = 60;
while (args.length) {
  const flag = args.shift();
  const value = args.shift();
  if (flag === "--header") {
    const i = value.indexOf(":");
    headers[value.slice(0, i).trim()] = value.slice(i + 1).trim();
  } else if (flag === "--expect") expects.push(value);
  else if (flag === "--screenshot") screenshot = value;
  else if (flag === "--timeout") timeout = Number(value);
  else throw new Error(`unknown option ${flag}`);
}
if (!url) throw new Error("usage: dashboard-cdp.mjs URL [options]");
if (typeof WebSocket === "undefined") throw new Error("no WebSocket: run node with --experimental-websocket");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const profile = mkdtempSync(join(tmpdir(), "portcullis-chromium-"));
// The flags this machine's closed network needs (no background connections), and a fixed port-0
// debugging endpoint whose port Chromium writes to DevToolsActivePort.
const chromium = spawn(
  process.env.CHROMIUM || "/usr/bin/chromium",
  [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
    `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let chromiumLog = "";
chromium.stderr.on("data", (d) => (chromiumLog += d));
const deadline = Date.now() + timeout * 1000;
const finish = (code) => {
  chromium.kill("SIGKILL");
  try { rmSync(profile, { recursive: true, force: true }); } catch {}
  process.exit(code);
};

try {
  const portFile = join(profile, "DevToolsActivePort");
  while (!existsSync(portFile) || readFileSync(portFile, "utf8").split("\n").length < 2) {
    if (Date.now() > deadline || chromium.exitCode !== null) throw new Error(`chromium did not start:\n${chromiumLog}`);
    await sleep(100);
  }
  const [port, path] = readFileSync(portFile, "utf8").split("\n");
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const console_ = []; // the page's console messages and exceptions, shown on failure
  let nextId = 1;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.method === "Runtime.exceptionThrown") console_.push(`exception: ${JSON.stringify(msg.params.exceptionDetails).slice(0, 2000)}`);
    if (msg.method === "Runtime.consoleAPICalled") {
      console_.push(`console.${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(" ").slice(0, 2000)}`);
    }
    const p = msg.id && pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    msg.error ? p.reject(new Error(`${p.method}: ${msg.error.message}`)) : p.resolve(msg.result);
  };
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const page = (method, params) => send(method, params, sessionId);
  await page("Network.enable");
  await page("Network.setExtraHTTPHeaders", { headers });
  await page("Emulation.setDeviceMetricsOverride", { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false });
  await page("Page.enable");
  await page("Runtime.enable");
  await page("Page.navigate", { url });

  let text = "";
  for (;;) {
    const r = await page("Runtime.evaluate", { expression: "document.body ? document.body.innerText : ''", returnByValue: true });
    text = r.result.value || "";
    if (expects.every((e) => text.includes(e))) break;
    if (Date.now() > deadline) {
      console.error(`FAIL: the page at ${url} never showed ${JSON.stringify(expects)}; its text:\n${text}\n${console_.join("\n")}`);
      finish(1);
    }
    await sleep(250);
  }
  console.log(`PASS: ${url} shows ${JSON.stringify(expects)}`);
  if (screenshot) {
    await sleep(1500); // let charts and fonts settle
    const { data } = await page("Page.captureScreenshot", { format: "png" });
    writeFileSync(screenshot, Buffer.from(data, "base64"));
    console.log(`screenshot: ${screenshot}`);
  }
  finish(0);
} catch (e) {
  console.error(`FAIL: ${e.stack || e}`);
  finish(1);
}
