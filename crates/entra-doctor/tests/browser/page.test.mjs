// The page of `entra-doctor serve`, in a real browser: Debian's Chromium,
// driven by playwright-core (no browser download). Run with
//
//   npm ci --prefix crates/entra-doctor/tests/browser
//   node --test crates/entra-doctor/tests/browser/page.test.mjs
//
// Needs a built binary (ENTRA_DOCTOR_BIN, default target/debug/entra-doctor)
// and Chromium (CHROMIUM, default /usr/bin/chromium). Screenshots go to
// target/artefacts/ (ARTEFACTS_DIR to change): serve-page.png (light),
// serve-page-dark.png, serve-page-narrow.png, serve-page-explain.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../../..");
const examples = path.join(repo, "examples");
const bin = process.env.ENTRA_DOCTOR_BIN || path.join(repo, "target/debug/entra-doctor");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const artefacts = process.env.ARTEFACTS_DIR || path.join(repo, "target/artefacts");
const TENANT = "8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f";
const read = (name) => readFileSync(path.join(examples, name), "utf8").trim();

let server;
let origin;
let context;
let page;
let userDataDir;
const requests = [];
const consoleErrors = [];

function startServer() {
  return new Promise((resolve, reject) => {
    // No --jwks and no --tenant: the page pastes them.
    const child = spawn(bin, ["serve", "--port", "0", "--offline", "--no-cache"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error("serve printed no URL in 20 s: " + err)), 20000);
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, url: out.slice(0, nl).trim() });
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

before(async () => {
  assert.ok(existsSync(bin), `no entra-doctor binary at ${bin}: run cargo build -p entra-doctor first`);
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath}: apt-get install -y chromium`);
  mkdirSync(artefacts, { recursive: true });
  const s = await startServer();
  server = s.child;
  origin = new URL(s.url).origin;
  userDataDir = mkdtempSync(path.join(tmpdir(), "entra-doctor-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1400, height: 1000 },
    colorScheme: "light",
  });
  context.on("request", (r) => requests.push(r.url()));
  page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function findingRows() {
  return page.$$eval("#findings tbody tr", (rows) =>
    rows.map((r) => ({
      status: r.querySelector(".badge").textContent.trim(),
      check: r.children[1].textContent.trim(),
    }))
  );
}

test("the page loads with its strict Content-Security-Policy", async () => {
  const response = await page.goto(origin + "/");
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers["content-security-policy"], /default-src 'none'; script-src 'self'/);
  assert.equal(headers["cache-control"], "no-store");
  await page.waitForSelector("#token");
  // The token box has the focus from the start: paste right away.
  assert.equal(await page.evaluate(() => document.activeElement.id), "token");
});

test("paste a token with the tenant and a pasted key set: every check passes", async () => {
  await page.fill("#tenant", TENANT);
  await page.fill("#jwks", read("jwks.json"));
  await page.focus("#token");
  await page.keyboard.insertText(read("databricks-token.jwt"));
  await page.waitForFunction(() => document.querySelector("#verdict").textContent.startsWith("Valid"), null, { timeout: 10000 });
  const rows = await findingRows();
  assert.deepEqual(rows.map((r) => r.check), ["format", "signature", "audience", "issuer", "tenant", "lifetime", "identity"]);
  for (const r of rows) assert.equal(r.status, "PASS", `${r.check} is ${r.status}`);
  const summary = await page.textContent("#summary");
  assert.match(summary, /user ada@contoso\.example/);
  assert.match(summary, /Azure Databricks/);
  assert.match(summary, new RegExp(TENANT));
  const claims = await page.textContent("#claims-table");
  assert.match(claims, /2099-01-01T00:00:00Z/);
  assert.match(claims, /Audience|audience/);
  // Header and payload coloured by part.
  assert.equal(await page.$$eval("#encoded span.part-h", (s) => s.length), 1);
  assert.equal(await page.$$eval("#encoded span.part-p", (s) => s.length), 1);
  assert.equal(await page.$$eval("#encoded span.part-s", (s) => s.length), 1);
  await page.screenshot({ path: path.join(artefacts, "serve-page.png"), fullPage: true });
});

test("dark and narrow: the same page, readable", async () => {
  await page.emulateMedia({ colorScheme: "dark" });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, "rgb(246, 247, 249)", "dark background");
  await page.screenshot({ path: path.join(artefacts, "serve-page-dark.png"), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no sideways scrolling in a narrow window (overflow ${overflow}px)`);
  await page.screenshot({ path: path.join(artefacts, "serve-page-narrow.png"), fullPage: true });
  await page.setViewportSize({ width: 1400, height: 1000 });
});

test("a token for Azure Resource Manager fails the audience check", async () => {
  await page.fill("#token", read("arm-token.jwt"));
  await page.waitForFunction(() => document.querySelector("#verdict").textContent.includes("audience"), null, { timeout: 10000 });
  const rows = await findingRows();
  const audience = rows.find((r) => r.check === "audience");
  assert.equal(audience.status, "FAIL");
  assert.ok(rows.filter((r) => r.check !== "audience").every((r) => r.status === "PASS"));
  const fix = await page.textContent("#findings tr.fail td.fix");
  assert.match(fix, /2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/);
});

test("from the keyboard: Tab to Check, Enter checks; Ctrl+Enter checks", async () => {
  await page.fill("#token", "not-a-token");
  await page.focus("#token");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => document.querySelector("#verdict").textContent.includes("format"), null, { timeout: 10000 });
  await page.fill("#token", read("service-principal-token.jwt"));
  await page.focus("#token");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "check-btn");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#summary").textContent.includes("service principal"), null, { timeout: 10000 });
});

test("without keys the page says the signature was not checked, never a green verdict", async () => {
  await page.fill("#jwks", "");
  await page.fill("#token", read("databricks-token.jwt"));
  await page.focus("#token");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => document.querySelector("#verdict").textContent.startsWith("Signature not checked"), null, { timeout: 10000 });
  const cls = await page.getAttribute("#verdict", "class");
  assert.ok(!cls.split(/\s+/).includes("pass"), `verdict class ${cls}`);
  const rows = await findingRows();
  assert.equal(rows.find((r) => r.check === "signature").status, "SKIP");
});

test("the explain box: an AADSTS error, with the redirect URI comparison", async () => {
  await page.fill(
    "#explain-input",
    "AADSTS50011: The redirect URI 'http://localhost:8020/callback' specified in the request does not match the redirect URIs configured for the application '6c1a9e4b-2f3d-4a5b-8c7d-9e0f1a2b3c4d'."
  );
  await page.fill("#redirect-uri", "http://localhost:8020/callback");
  await page.fill("#registered", "http://localhost:8020/callback/\nhttps://example.test/cb");
  await page.focus("#explain-input");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector("#explain-result:not([hidden])", { timeout: 10000 });
  const text = await page.textContent("#explain-result");
  assert.match(text, /50011/);
  assert.match(text, /[Rr]edirect URI/);
  await page.locator("#explain-panel").screenshot({ path: path.join(artefacts, "serve-page-explain.png") });
});

test("the page asked no host but its own, kept nothing, and logged no error", async () => {
  assert.ok(requests.length >= 3, "the page, its script and its style were requested");
  const foreign = requests.filter((u) => !(u.startsWith(origin + "/") || u.startsWith("data:")));
  assert.deepEqual(foreign, [], "requests to other hosts");
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
  assert.equal(stored, 0);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(consoleErrors, [], "console errors (a CSP violation shows here)");
});
