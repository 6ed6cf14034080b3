// entra-doctor's page. Plain DOM, no framework, nothing loaded from elsewhere.
// Nothing is stored: no cookies, no web storage, no history entries. The
// token goes only to this server's POST /api/check.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const MAX_TOKEN_FILE = 256 * 1024;
  const MAX_KEY_FILE = 1024 * 1024;

  const els = {
    form: $("check-form"),
    token: $("token"),
    tokenFile: $("token-file"),
    clear: $("clear-btn"),
    tenant: $("tenant"),
    audience: $("audience"),
    workspace: $("workspace"),
    at: $("at"),
    jwks: $("jwks"),
    jwksFile: $("jwks-file"),
    keysNote: $("keys-note"),
    status: $("status"),
    results: $("results"),
    verdict: $("verdict"),
    fixes: $("fixes"),
    summary: $("summary"),
    findings: document.querySelector("#findings tbody"),
    findingsPanel: $("findings-panel"),
    decodedPanel: $("decoded-panel"),
    encoded: $("encoded"),
    headerRows: document.querySelector("#header-table tbody"),
    claimRows: document.querySelector("#claims-table tbody"),
    rawHeader: $("raw-header"),
    rawPayload: $("raw-payload"),
    explainForm: $("explain-form"),
    explainInput: $("explain-input"),
    redirectUri: $("redirect-uri"),
    registered: $("registered"),
    explainTenant: $("explain-tenant"),
    explainClientId: $("explain-client-id"),
    explainStatus: $("explain-status"),
    explainResult: $("explain-result"),
    theme: $("theme"),
  };

  // ---- small DOM helpers (text only: nothing is parsed as HTML) ----
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function show(node, yes) {
    node.hidden = !yes;
  }

  // ---- the theme: auto, light, dark (kept only while the page is open) ----
  const themes = ["auto", "light", "dark"];
  let theme = 0;
  els.theme.addEventListener("click", () => {
    theme = (theme + 1) % themes.length;
    const t = themes[theme];
    if (t === "auto") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", t);
    els.theme.textContent = "Theme: " + t;
    els.theme.setAttribute("aria-label", "Colour theme: " + (t === "auto" ? "automatic" : t));
  });

  // ---- the check ----
  let seq = 0;
  let timer = null;

  function requestBody() {
    const body = { token: els.token.value };
    const add = (name, v) => {
      v = v.trim();
      if (v) body[name] = v;
    };
    add("tenant", els.tenant.value);
    add("audience", els.audience.value);
    add("workspace", els.workspace.value);
    add("at", els.at.value);
    if (els.jwks.value.trim()) body.jwks = els.jwks.value;
    return body;
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
      referrerPolicy: "no-referrer",
    });
    let data = null;
    try {
      data = await r.json();
    } catch (_) {
      data = null;
    }
    return { ok: r.ok, status: r.status, data };
  }

  function setStatus(node, text, isError) {
    node.textContent = text;
    node.classList.toggle("error", !!isError);
    node.setAttribute("role", isError ? "alert" : "status");
    show(node, !!text);
  }

  async function check() {
    clearTimeout(timer);
    const text = els.token.value.trim();
    const mine = ++seq;
    if (!text) {
      hideResults();
      setStatus(els.status, "Paste a token to see its claims and what Azure Databricks would say.", false);
      return;
    }
    setStatus(els.status, "Checking…", false);
    let answer;
    try {
      answer = await post("/api/check", requestBody());
    } catch (e) {
      if (mine !== seq) return;
      setStatus(els.status, "The server did not answer: is entra-doctor serve still running?", true);
      return;
    }
    if (mine !== seq) return; // a newer check is on its way
    if (!answer.ok || !answer.data) {
      const msg = answer.data && answer.data.message ? answer.data.message : "the server answered " + answer.status;
      setStatus(els.status, "Cannot check: " + msg, true);
      hideResults();
      return;
    }
    render(answer.data);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  // ---- rendering ----
  const STATUS_LABEL = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" };

  function render(d) {
    const KEYS = {
      none: " · no signing keys: the signature was not checked",
      pasted: " · with the pasted keys",
      server: " · with the server's keys (--jwks)",
      discovery: " · with the issuer's keys (OpenID discovery)",
    };
    setStatus(els.status, "Checked as of " + d.at + (KEYS[d.keys] || ""), false);
    els.keysNote.textContent = d.keys === "server" ? "Using the server's keys (--jwks)." : d.keys === "discovery" ? "Using the issuer's published keys." : "";
    renderVerdict(d);
    renderFixes(d.findings || []);
    renderSummary(d.summary, d.kind);
    renderFindings(d.findings || []);
    renderDecoded(d.decoded);
    show(els.results, true);
    show(els.findingsPanel, true);
  }

  function hideResults() {
    show(els.results, false);
    show(els.findingsPanel, false);
    show(els.decodedPanel, false);
  }

  function renderVerdict(d) {
    const v = els.verdict;
    v.className = "verdict";
    // The sentence is the server's (`verdict`, as `check` says it); only
    // the colour is chosen here, green only for a signature verified with
    // a trusted key.
    if (d.failed && d.failed.length) {
      v.classList.add("fail");
    } else if (d.valid !== true) {
      v.classList.add("skip");
    } else {
      v.classList.add("pass");
    }
    v.textContent = d.verdict;
  }

  // The failing findings, each with its fix and a copy button, right under
  // the verdict: what to do is the first thing seen.
  function renderFixes(list) {
    clear(els.fixes);
    const failing = list.filter((f) => f.status === "fail");
    for (const f of failing) {
      const item = el("li", { class: "fix-item" },
        el("p", { class: "fix-what" }, el("strong", null, f.check), ": " + f.message));
      if (f.fix) {
        const copyText = commandIn(f.fix) || f.fix;
        const button = el("button", { type: "button", class: "ghost copy", "aria-label": "Copy the fix of " + f.check }, commandIn(f.fix) ? "Copy command" : "Copy");
        button.addEventListener("click", () => copy(copyText, button));
        item.append(el("div", { class: "fix-how" }, el("p", { class: "fix-text" }, f.fix), button));
      }
      els.fixes.append(item);
    }
    show(els.fixes, failing.length > 0);
  }

  // A command quoted in a fix ('az account get-access-token …'), if any.
  function commandIn(text) {
    const m = /'([a-z][\w.-]* [^']+)'/.exec(text);
    return m ? m[1] : null;
  }

  async function copy(text, button) {
    const done = (label) => {
      const was = button.textContent;
      button.textContent = label;
      setTimeout(() => (button.textContent = was), 1500);
    };
    try {
      await navigator.clipboard.writeText(text);
      done("Copied");
    } catch (_) {
      done("Copy failed: select the text");
    }
  }

  // The stable kind names of `check --json` (README), in words.
  const KIND_LABEL = {
    entra_access: "Entra ID access token",
    entra_id_token: "Entra ID token (an ID token: APIs refuse it)",
    entra_graph: "Entra ID access token for Microsoft Graph",
    entra_arm: "Entra ID access token for Azure Resource Manager",
    entra_other_api: "Entra ID access token for another API",
    databricks_oauth: "Databricks OAuth token (issued by a workspace)",
    databricks_oauth_account: "Databricks OAuth token (issued by an account)",
    databricks_pat: "Databricks personal access token (not a JWT: only its workspace can check it)",
    databricks_oauth_secret: "Databricks OAuth secret (a client secret, not a token)",
    other_jwt: "JWT from another issuer",
  };

  function renderSummary(s, credential) {
    clear(els.summary);
    if (credential) {
      els.summary.append(el("dt", null, "Kind"), el("dd", { class: "kind", "data-kind": credential }, KIND_LABEL[credential] || String(credential).replace(/_/g, " ")));
    }
    if (!s) {
      if (!credential) els.summary.append(el("dt", null, "Token"), el("dd", null, "not readable: see the format finding"));
      return;
    }
    const row = (k, v, cls) => {
      if (v === undefined || v === null || v === "") return;
      els.summary.append(el("dt", null, k), el("dd", cls ? { class: cls } : null, v));
    };
    const kind = s.kind === "id" ? "ID token" : "access token";
    row("Token", (s.version || "unknown") + " " + kind);
    const who =
      s.principal_type === "user" ? "user " + (s.principal || "?")
      : s.principal_type === "service_principal" ? "service principal (app " + (s.principal || "?") + ")"
      : "unknown principal";
    row("Principal", who);
    row("Object ID", s.object_id);
    row("For", s.resource ? s.resource + (s.audience ? " (" + s.audience + ")" : "") : s.audience || "no audience");
    row("Tenant", s.tenant);
    row("Issuer", s.issuer);
    row("Signed", [s.algorithm, s.key_id ? "key " + s.key_id : null].filter(Boolean).join(" · "));
    row("Issued", s.issued_at);
    if (s.expires_at) row("Expires", s.expires_at + (s.validity ? " (" + s.validity + ")" : ""));
    if (s.lifetime_secs) row("Lifetime", humanSpan(s.lifetime_secs));
    if (s.graph_nonce) row("Note", "the header has a 'nonce': a Microsoft Graph token, which only Graph can verify", "note");
  }

  function humanSpan(secs) {
    const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60);
    if (h >= 48) return Math.floor(h / 24) + " d";
    if (h > 0) return h + " h" + (m ? " " + m + " min" : "");
    return m + " min";
  }

  function renderFindings(list) {
    clear(els.findings);
    // No fix to show (every check passed): no empty Fix column.
    els.findings.parentElement.classList.toggle("no-fix", !list.some((f) => f.fix));
    for (const f of list) {
      const cell = (label, value, cls) =>
        el("td", { "data-label": label, class: [cls, value ? "" : "empty"].filter(Boolean).join(" ") || null }, value || "");
      els.findings.append(
        el("tr", { class: f.status },
          el("td", { class: "st" }, el("span", { class: "badge " + f.status }, STATUS_LABEL[f.status] || f.status)),
          el("td", { class: "name" }, f.check),
          el("td", { class: "msg" }, f.message),
          cell("Expected", f.expected, "value"),
          cell("Actual", f.actual, "value"),
          cell("Fix", f.fix, "fix")
        )
      );
    }
  }

  function valueText(v) {
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function entryRows(tbody, entries, partClass) {
    clear(tbody);
    for (const e of entries) {
      const value = el("td", { class: "value" }, valueText(e.value));
      if (e.utc) value.append(el("span", { class: "time" }, e.utc + (e.relative ? " · " + e.relative : "")));
      tbody.append(
        el("tr", null,
          el("td", { class: "name " + partClass }, e.name),
          value,
          el("td", { class: "meaning" + (e.meaning ? "" : " empty") }, e.meaning || "")
        )
      );
    }
  }

  // The token as pasted, coloured by part (the first thing shaped like a JWS).
  function renderEncoded() {
    clear(els.encoded);
    const m = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/.exec(els.token.value);
    if (!m) return;
    const [h, p, s] = m[0].split(".");
    els.encoded.append(
      el("span", { class: "part-h" }, h), el("span", { class: "dot" }, "."),
      el("span", { class: "part-p" }, p), el("span", { class: "dot" }, "."),
      el("span", { class: "part-s" }, s)
    );
  }

  function renderDecoded(d) {
    show(els.decodedPanel, !!d);
    if (!d) return;
    renderEncoded();
    entryRows(els.headerRows, d.header_entries || [], "part-h");
    entryRows(els.claimRows, d.claims || [], "part-p");
    els.rawHeader.textContent = JSON.stringify(d.header, null, 2);
    els.rawPayload.textContent = JSON.stringify(d.payload, null, 2);
  }

  // ---- files: open or drop ----
  function readFile(file, max, target) {
    if (!file) return;
    if (file.size > max) {
      setStatus(els.status, "The file " + file.name + " is " + file.size + " bytes, over the limit of " + max + ".", true);
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      target.value = String(reader.result || "");
      check();
    };
    reader.onerror = () => setStatus(els.status, "Cannot read the file " + file.name + ".", true);
    reader.readAsText(file);
  }

  els.tokenFile.addEventListener("change", () => {
    readFile(els.tokenFile.files[0], MAX_TOKEN_FILE, els.token);
    els.tokenFile.value = "";
  });
  els.jwksFile.addEventListener("change", () => {
    readFile(els.jwksFile.files[0], MAX_KEY_FILE, els.jwks);
    els.jwksFile.value = "";
  });

  document.addEventListener("dragover", (e) => {
    if (e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files")) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files || !e.dataTransfer.files.length) return;
    e.preventDefault();
    const onKeys = e.target === els.jwks;
    readFile(e.dataTransfer.files[0], onKeys ? MAX_KEY_FILE : MAX_TOKEN_FILE, onKeys ? els.jwks : els.token);
  });

  // ---- events ----
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    check();
  });
  els.token.addEventListener("input", schedule);
  for (const f of [els.tenant, els.audience, els.workspace, els.at, els.jwks]) {
    f.addEventListener("input", () => {
      if (els.token.value.trim()) schedule();
    });
  }
  els.form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      check();
    }
  });
  els.clear.addEventListener("click", () => {
    els.token.value = "";
    check();
    els.token.focus();
  });

  // ---- explain ----
  async function explain() {
    const input = els.explainInput.value;
    if (!input.trim()) {
      setStatus(els.explainStatus, "Paste an error message first.", true);
      show(els.explainResult, false);
      return;
    }
    const body = { input };
    const tenant = els.explainTenant.value.trim() || els.tenant.value.trim();
    if (tenant) body.tenant = tenant;
    if (els.explainClientId.value.trim()) body.client_id = els.explainClientId.value.trim();
    if (els.redirectUri.value.trim()) body.redirect_uri = els.redirectUri.value.trim();
    const reg = els.registered.value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    if (reg.length) body.registered = reg;
    setStatus(els.explainStatus, "Explaining…", false);
    let answer;
    try {
      answer = await post("/api/explain", body);
    } catch (e) {
      setStatus(els.explainStatus, "The server did not answer: is entra-doctor serve still running?", true);
      return;
    }
    if (!answer.ok || !answer.data) {
      const msg = answer.data && answer.data.message ? answer.data.message : "the server answered " + answer.status;
      setStatus(els.explainStatus, "Cannot explain: " + msg, true);
      show(els.explainResult, false);
      return;
    }
    setStatus(els.explainStatus, "", false);
    renderExplain(answer.data);
  }

  els.explainForm.addEventListener("submit", (e) => {
    e.preventDefault();
    explain();
  });
  els.explainForm.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      explain();
    }
  });

  function dl(pairs) {
    const d = el("dl");
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) continue;
      d.append(el("dt", null, k), el("dd", null, Array.isArray(v) ? v.join(", ") : String(v)));
    }
    return d.childNodes.length ? d : null;
  }

  // Text with `code` spans, as the explanations write them.
  function rich(text) {
    const span = el("span");
    String(text).split(/(`[^`]+`)/).forEach((part) => {
      if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) span.append(el("code", null, part.slice(1, -1)));
      else if (part) span.append(part);
    });
    return span;
  }

  function steps(items) {
    if (!items || !items.length) return null;
    const ul = el("ul");
    for (const t of items) {
      const sub = /^\s*-\s+/.test(t);
      ul.append(el("li", sub ? { class: "sub" } : null, rich(sub ? t.replace(/^\s*-\s+/, "") : t)));
    }
    return ul;
  }

  function link(url) {
    return el("a", { href: url, rel: "noreferrer noopener", target: "_blank" }, url);
  }

  const DIFF_LABEL = {
    scheme: "Scheme", host: "Host", loopback_name: "Loopback name", port: "Port", path: "Path",
    trailing_slash: "Trailing slash", case: "Letter case", query: "Query", fragment: "Fragment", other: "Other",
  };

  function renderExplain(answer) {
    const out = els.explainResult;
    clear(out);
    const report = answer.report || {};
    const x = answer.explanation || {};
    out.append(el("p", { class: "headline" }, x.headline || "Explained"));
    out.append(
      dl([
        ["Recognised as", x.kind ? String(x.kind).replace(/_/g, " ") : null],
        ["Library", x.library],
        ["HTTP status", report.http_status],
        ["Codes", (x.codes || []).map((c) => "AADSTS" + c)],
        ["OAuth error", x.error],
        ["Sub-error", report.suberror],
        ["Trace ID", report.trace_id],
        ["Correlation ID", report.correlation_id],
        ["Timestamp", report.timestamp],
      ]) || ""
    );
    for (const a of x.advice || []) {
      out.append(
        el("div", { class: "card bad" },
          el("h4", null, a.title || "Advice"),
          a.cause ? el("p", null, el("span", { class: "label" }, "Cause: "), rich(a.cause)) : null,
          a.steps && a.steps.length ? el("p", { class: "label" }, "What to do:") : null,
          steps(a.steps),
          ...(a.links || []).map((u) => el("p", { class: "help" }, "More: ", link(u)))
        )
      );
    }
    if (x.redirect) out.append(renderRedirect(x.redirect));
    if (x.admin_consent_url) {
      out.append(el("div", { class: "card" }, el("h4", null, "Admin consent"), el("p", null, "An administrator of the tenant can grant consent at: "), el("p", null, link(x.admin_consent_url))));
    }
    if (x.notes && x.notes.length) out.append(el("div", { class: "card" }, el("h4", null, "Notes"), steps(x.notes)));
    show(out, true);
  }

  function renderRedirect(rc) {
    const card = el("div", { class: "card " + (rc.matched ? "good" : "bad"), id: "redirect-comparison" });
    card.append(el("h4", null, rc.matched ? "Redirect URI comparison: registered" : "Redirect URI comparison: not registered"));
    card.append(
      dl([
        ["Sent by the app", rc.requested],
        ["Nearest registered", rc.nearest ? rc.nearest.url + (rc.nearest.platform && rc.nearest.platform !== "unknown" ? " (" + rc.nearest.platform + ")" : "") : null],
      ]) || ""
    );
    const diffs = rc.differences || [];
    if (diffs.length) {
      const tbody = el("tbody");
      for (const d of diffs) {
        const fmt = (v) => (v === null || v === undefined ? "(none)" : String(v));
        tbody.append(el("tr", null,
          el("td", { class: "name" }, DIFF_LABEL[d.kind] || d.kind + (d.part ? " (" + d.part + ")" : "")),
          el("td", { class: "value" }, fmt(d.requested)),
          el("td", { class: "value" }, fmt(d.registered))));
      }
      card.append(el("div", { class: "table-wrap" }, el("table", { class: "diffs" },
        el("thead", null, el("tr", null, el("th", { scope: "col" }, "Differs in"), el("th", { scope: "col" }, "Sent"), el("th", { scope: "col" }, "Registered"))),
        tbody)));
    }
    if (rc.platform_mismatch) {
      card.append(el("p", null, "Registered on the " + rc.platform_mismatch.registered_on + " platform, but this flow needs " + rc.platform_mismatch.needed + "."));
    }
    if (rc.loopback_port_rule) {
      card.append(el("p", null, "Only the loopback port differs: Entra ID ignores it for public-client (Mobile and desktop) registrations."));
    }
    return card;
  }

  // ---- settings given to `serve`, pre-filled where the field is empty ----
  async function prefill() {
    let s;
    try {
      const r = await fetch("/api/settings", { cache: "no-store", credentials: "same-origin" });
      if (!r.ok) return;
      s = await r.json();
    } catch (_) {
      return;
    }
    const put = (input, v) => {
      if (v && !input.value.trim()) input.value = v;
    };
    put(els.tenant, s.tenant);
    put(els.workspace, s.workspace);
    put(els.audience, s.audience);
    put(els.explainTenant, s.tenant);
    put(els.explainClientId, s.client_id);
  }

  // ---- redirect target (as jwt.ms): #access_token=… or #id_token=… ----
  // The fragment never reaches a server; it is read here, removed from the
  // address bar (no history entry), and checked like a paste.
  function fromFragment() {
    if (!location.hash || location.hash.length < 2) return false;
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get("access_token") || params.get("id_token");
    const error = params.get("error");
    if (!token && !error) return false;
    history.replaceState(null, "", location.pathname + location.search);
    if (token) {
      els.token.value = token;
      return true;
    }
    const desc = params.get("error_description");
    els.explainInput.value = error + (desc ? ": " + desc : "");
    explain();
    return false;
  }

  window.addEventListener("hashchange", () => {
    if (fromFragment()) check();
  });
  const fromRedirect = fromFragment();
  prefill().then(() => {
    if (fromRedirect) check();
  });
  // Start in the token box.
  if (!location.hash) els.token.focus();
})();
