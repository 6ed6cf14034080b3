// The page of `entra-doctor serve`, in a real browser: Debian's Chromium,
// driven by playwright-core (no browser download). Run with
//
//   npm ci --prefix crates/entra-doctor/tests/browser
//   node --test crates/entra-doctor/tests/browser/page.test.mjs
//
// Needs a built binary (ENTRA_DOCTOR_BIN, default target/debug/entra-doctor),
// Chromium (CHROMIUM, default /usr/bin/chromium), and an emulator for the
// redirect test (EMULATOR_URL, EMULATOR_TENANT, EMULATOR_PUBLIC_APP: set by
// tests/serve_browser.rs; by hand, from `entra-emulator serve`'s JSON line). Screenshots go to
// target/artefacts/ (ARTEFACTS_DIR to change): serve-page.png (light),
// serve-page-dark.png, serve-page-narrow.png, serve-page-explain.png,
// serve-page-fix.png (1280x900, the fix above the fold), serve-page-redirect.png,
// serve-page-settings.png, serve-page-from-entra.png.

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
const otherOrigins = []; // the second server of the settings test
const consoleErrors = [];

function startServer(extra = []) {
  return new Promise((resolve, reject) => {
    // No --jwks and no --tenant: the page pastes them.
    const child = spawn(bin, ["serve", "--port", "0", "--offline", "--no-cache", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
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
  assert.equal(await page.getAttribute("#summary dd.kind", "data-kind"), "entra_arm");
});

test("the failing finding's fix sits right under the verdict, above the fold at 1280x900, with a copy button", async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const items = await page.$$eval("#fixes li", (li) => li.map((x) => x.textContent));
  assert.equal(items.length, 1, "one failing finding: " + items.join(" | "));
  assert.match(items[0], /audience/);
  assert.match(items[0], /2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/);
  const box = await page.locator("#fixes li").first().boundingBox();
  assert.ok(box && box.y + box.height <= 900, `the fix ends at ${box && box.y + box.height}px, below the fold`);
  const verdict = await page.locator("#verdict").boundingBox();
  assert.ok(box.y > verdict.y, "under the verdict");
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await page.click("#fixes li button.copy");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/);
  await page.screenshot({ path: path.join(artefacts, "serve-page-fix.png") });
  await page.setViewportSize({ width: 1400, height: 1000 });
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
  await page.waitForFunction(() => document.querySelector("#verdict").textContent.startsWith("Not verified") && document.querySelector("#verdict").textContent.includes("the signature was not checked"), null, { timeout: 10000 });
  const cls = await page.getAttribute("#verdict", "class");
  assert.ok(!cls.split(/\s+/).includes("pass"), `verdict class ${cls}`);
  const rows = await findingRows();
  assert.equal(rows.find((r) => r.check === "signature").status, "SKIP");
});

test("a personal access token is named as such, masked, and never a green verdict", async () => {
  const pat = "dapi0123456789abcdef0123456789abcdef";
  await page.fill("#token", pat);
  await page.focus("#token");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => (document.querySelector("#summary dd.kind") || {}).textContent?.includes("personal access token"), null, { timeout: 10000 });
  assert.equal(await page.getAttribute("#summary dd.kind", "data-kind"), "databricks_pat");
  const cls = await page.getAttribute("#verdict", "class");
  assert.ok(!cls.split(/\s+/).includes("pass"), `verdict class ${cls}`);
  const rows = await findingRows();
  assert.equal(rows.find((r) => r.check === "format").status, "PASS");
  assert.ok(!(await page.textContent("#findings")).includes(pat), "the PAT is shown masked");
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

test("as a redirect target: a token in the URL fragment is checked and removed from the address bar", async () => {
  const token = read("databricks-token.jwt");
  // As from Entra ID's authorize endpoint: a navigation from another page.
  await page.goto("about:blank");
  await page.goto(origin + "/#access_token=" + token + "&token_type=Bearer&expires_in=3599&session_state=x");
  await page.waitForFunction(() => document.querySelector("#summary").textContent.includes("ada@contoso.example"), null, { timeout: 10000 });
  assert.equal(await page.inputValue("#token"), token);
  assert.equal(await page.evaluate(() => location.hash), "", "the token is gone from the URL");
  assert.equal(await page.evaluate(() => location.href), origin + "/");
  const rows = await findingRows();
  assert.equal(rows.find((r) => r.check === "audience").status, "PASS");
  await page.screenshot({ path: path.join(artefacts, "serve-page-redirect.png") });
  // An error sent back in the fragment goes to the explain box (here a
  // fragment change of the open page).
  await page.goto(origin + "/#error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent");
  await page.waitForSelector("#explain-result:not([hidden])", { timeout: 10000 });
  assert.match(await page.textContent("#explain-result"), /65004/);
  assert.equal(await page.evaluate(() => location.hash), "");
});

test("a real redirect from Entra ID's authorize endpoint (the emulator) lands on the page and is checked", async () => {
  const emu = process.env.EMULATOR_URL;
  const tenant = process.env.EMULATOR_TENANT;
  const app = process.env.EMULATOR_PUBLIC_APP;
  assert.ok(emu && tenant && app, "EMULATOR_URL, EMULATOR_TENANT and EMULATOR_PUBLIC_APP are needed (tests/serve_browser.rs sets them)");
  otherOrigins.push(new URL(emu).origin);
  // The demo's public client has http://localhost registered: the page on
  // any loopback port is a valid redirect URI for it.
  const pageUrl = origin.replace("127.0.0.1", "localhost") + "/";
  otherOrigins.push(new URL(pageUrl).origin);
  const authorize = new URL(`${emu}/${tenant}/oauth2/authorize`);
  authorize.search = new URLSearchParams({
    client_id: app,
    response_type: "token",
    response_mode: "fragment",
    redirect_uri: pageUrl,
    resource: "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
    state: "s1",
  }).toString();
  await page.goto("about:blank");
  await page.goto(authorize.toString());
  await page.waitForFunction(() => document.querySelector("#summary").textContent.includes("alice@contoso.onmicrosoft.com"), null, { timeout: 10000 });
  assert.equal(page.url(), pageUrl, "on the page, the fragment removed");
  assert.match(await page.inputValue("#token"), /^eyJ/);
  const rows = await findingRows();
  assert.equal(rows.find((r) => r.check === "audience").status, "PASS");
  assert.equal(rows.find((r) => r.check === "identity").status, "PASS");
  await page.screenshot({ path: path.join(artefacts, "serve-page-from-entra.png"), fullPage: true });
});

test("settings given to serve are pre-filled, and explain builds a complete admin-consent URL", async () => {
  const client = "3c2f8a91-5d6e-4b7a-8c9d-0e1f2a3b4c5d";
  const s = await startServer(["--tenant", TENANT, "--audience", "api://custom", "--workspace", "https://adb-1234567890123456.7.azuredatabricks.net", "--client-id", client]);
  const other = new URL(s.url).origin;
  otherOrigins.push(other);
  const p = await context.newPage();
  p.on("pageerror", (e) => consoleErrors.push(String(e)));
  try {
    await p.goto(other + "/");
    await p.waitForFunction(() => document.querySelector("#tenant").value !== "", null, { timeout: 10000 });
    assert.equal(await p.inputValue("#tenant"), TENANT);
    assert.equal(await p.inputValue("#audience"), "api://custom");
    assert.equal(await p.inputValue("#workspace"), "https://adb-1234567890123456.7.azuredatabricks.net");
    assert.equal(await p.inputValue("#explain-tenant"), TENANT);
    assert.equal(await p.inputValue("#explain-client-id"), client);
    await p.fill("#explain-input", "AADSTS65001: The user or administrator has not consented to use the application");
    await p.click("#explain-btn");
    await p.waitForSelector("#explain-result:not([hidden])", { timeout: 10000 });
    const text = await p.textContent("#explain-result");
    assert.ok(text.includes(`/${TENANT}/adminconsent?client_id=${client}`), text);
    await p.screenshot({ path: path.join(artefacts, "serve-page-settings.png"), fullPage: true });
  } finally {
    await p.close();
    s.child.kill();
  }
});

test("the page asked no host but its own, kept nothing, and logged no error", async () => {
  assert.ok(requests.length >= 3, "the page, its script and its style were requested");
  const own = [origin, ...otherOrigins].map((o) => o + "/");
  const foreign = requests.filter((u) => !(own.some((o) => u.startsWith(o)) || u.startsWith("data:")));
  assert.deepEqual(foreign, [], "requests to other hosts");
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length);
  assert.equal(stored, 0);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(consoleErrors, [], "console errors (a CSP violation shows here)");
});
