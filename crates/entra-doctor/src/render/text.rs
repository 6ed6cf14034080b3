//! Terminal text. Colour comes through anstream, which drops it when the
//! output is not a terminal or `NO_COLOR` is set.
//!
//! Every value written here goes through [`shown`] first (claims, header
//! entries, finding messages, text from Entra or Databricks, error
//! messages): control characters and bidi overrides in them become visible
//! escapes, colour or not, so a token cannot drive the terminal. Only the
//! styles below are written raw.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use entra_token::decode::{Decoded, Entry};
use entra_token::{Report, Status, Summary, Verdict, VerdictSentence};

use crate::error::CliError;

/// A value as it may be shown on a terminal (see the module comment).
pub fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    entra_token::text::for_terminal(s)
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default();
const MAGENTA: Style = AnsiColor::Magenta.on_default();

fn status_style(s: Status) -> (Style, &'static str) {
    match s {
        Status::Pass => (GREEN, "PASS"),
        Status::Warn => (YELLOW, "WARN"),
        Status::Fail => (RED, "FAIL"),
        Status::Skip => (DIM, "SKIP"),
    }
}

/// One line describing the token.
fn summary_line(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    let kind = match s.kind {
        entra_token::summary::TokenKind::Access => "access token",
        entra_token::summary::TokenKind::Id => "ID token",
    };
    let who = match (s.principal_type, &s.principal) {
        ("user", Some(p)) => format!("user {}", shown(p)),
        ("service_principal", Some(p)) => format!("service principal (app {})", shown(p)),
        _ => "unknown principal".into(),
    };
    let resource = match (&s.resource, &s.audience) {
        (Some(r), Some(a)) => format!("{} ({})", shown(r), shown(a)),
        (None, Some(a)) => shown(a).into_owned(),
        _ => "no audience".into(),
    };
    kind_line(out, s.token_kind)?;
    writeln!(out, "{BOLD}Token{BOLD:#}     {} {kind} · {who}", s.version)?;
    writeln!(out, "{BOLD}For{BOLD:#}       {resource}")?;
    if let Some(t) = &s.tenant {
        writeln!(out, "{BOLD}Tenant{BOLD:#}    {}", shown(t))?;
    }
    if let Some(v) = &s.validity {
        let style = if v.starts_with("valid") { GREEN } else { RED };
        writeln!(
            out,
            "{BOLD}Validity{BOLD:#}  {style}{}{style:#}{}",
            shown(v),
            s.expires_at
                .as_ref()
                .map(|e| format!(" ({})", shown(e)))
                .unwrap_or_default()
        )?;
    }
    if s.graph_nonce {
        writeln!(out, "{YELLOW}Note{YELLOW:#}      header 'nonce': a Microsoft Graph token, verifiable only by Graph")?;
    }
    Ok(())
}

/// The kind of credential, in words and by its stable name.
pub fn kind_line(out: &mut impl Write, k: entra_token::Kind) -> io::Result<()> {
    writeln!(
        out,
        "{BOLD}Kind{BOLD:#}      {} ({})",
        k.describe(),
        k.as_str()
    )
}

fn entry_line(out: &mut impl Write, e: &Entry, name_style: Style) -> io::Result<()> {
    let value = match &e.value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    write!(
        out,
        "  {name_style}{:<20}{name_style:#} {}",
        shown(&e.name),
        shown(&value)
    )?;
    if let (Some(utc), Some(rel)) = (&e.utc, &e.relative) {
        write!(out, "  {CYAN}{} ({}){CYAN:#}", shown(utc), shown(rel))?;
    }
    writeln!(out)?;
    if let Some(m) = e.meaning {
        writeln!(out, "  {:<20} {DIM}{}{DIM:#}", "", shown(m))?;
    }
    Ok(())
}

/// `decode`'s text output.
pub fn decoded(out: &mut impl Write, d: &Decoded) -> io::Result<()> {
    summary_line(out, &d.summary)?;
    writeln!(out)?;
    writeln!(out, "{RED}Header{RED:#}")?;
    for e in &d.header_entries {
        entry_line(out, e, RED)?;
    }
    writeln!(out)?;
    writeln!(out, "{MAGENTA}Claims{MAGENTA:#}")?;
    for e in &d.claims {
        entry_line(out, e, MAGENTA)?;
    }
    Ok(())
}

/// `check`'s text output.
pub fn report(out: &mut impl Write, report: &Report, summary: Option<&Summary>) -> io::Result<()> {
    report_with(out, report, summary, &report.verdict_sentence())
}

/// [`report`] ending with a verdict sentence the caller gives (`auth`'s
/// for a personal access token, which only the workspace can verify).
pub fn report_with(
    out: &mut impl Write,
    report: &Report,
    summary: Option<&Summary>,
    verdict: &VerdictSentence,
) -> io::Result<()> {
    if let Some(s) = summary {
        summary_line(out, s)?;
        writeln!(out)?;
    }
    for f in &report.findings {
        let (style, label) = status_style(f.status);
        writeln!(
            out,
            "{style}{label}{style:#}  {BOLD}{:<10}{BOLD:#} {}",
            f.check,
            shown(&f.message)
        )?;
        if f.status != Status::Pass {
            if let Some(e) = &f.expected {
                writeln!(out, "      {DIM}expected{DIM:#}   {}", shown(e))?;
            }
            if let Some(a) = &f.actual {
                writeln!(out, "      {DIM}found{DIM:#}      {}", shown(a))?;
            }
            if let Some(fix) = &f.fix {
                writeln!(out, "      {CYAN}fix{CYAN:#}        {}", shown(fix))?;
            }
        }
    }
    writeln!(out)?;
    verdict_line(out, verdict)
}

/// The last line: the verdict, as the exit status gives it.
fn verdict_line(out: &mut impl Write, s: &VerdictSentence) -> io::Result<()> {
    let style = match s.verdict {
        Verdict::Invalid => RED,
        Verdict::Valid => GREEN,
        Verdict::Incomplete => YELLOW,
    };
    writeln!(out, "{style}{}{style:#}{}", s.lead, shown(&s.rest))
}

/// `explain`'s text output.
pub fn explanation(
    out: &mut impl Write,
    report: &entra_explain::ErrorReport,
    e: &entra_explain::Explanation,
) -> io::Result<()> {
    writeln!(out, "{BOLD}{}{BOLD:#}", shown(&e.headline))?;
    if let Some(d) = &report.description {
        // Entra's descriptions hold line breaks (before "Trace ID: ..."):
        // each line is shown on its own, escaped.
        let d = entra_token::text::clip(d, 400);
        for line in d.lines() {
            writeln!(out, "{DIM}{}{DIM:#}", shown(line))?;
        }
    }
    for a in &e.advice {
        writeln!(out)?;
        let code = match a.code {
            Some(c) if !a.title.starts_with("AADSTS") => format!("AADSTS{c}: "),
            _ => String::new(),
        };
        writeln!(out, "{RED}{code}{}{RED:#}", shown(&a.title))?;
        writeln!(out, "  {BOLD}cause{BOLD:#}  {}", shown(&a.cause))?;
        for (i, step) in a.steps.iter().enumerate() {
            writeln!(out, "  {CYAN}{}.{CYAN:#} {}", i + 1, shown(step))?;
        }
        for link in &a.links {
            writeln!(out, "  {DIM}see{DIM:#}    {}", shown(link))?;
        }
    }
    if let Some(r) = &e.redirect {
        writeln!(out)?;
        writeln!(
            out,
            "{BOLD}Redirect URI{BOLD:#}  requested {}",
            shown(&r.requested)
        )?;
        if let Some(n) = &r.nearest {
            writeln!(
                out,
                "  nearest registered: {} ({})",
                shown(&n.url),
                n.platform.label()
            )?;
        }
        if r.matched {
            writeln!(
                out,
                "  {GREEN}registered{GREEN:#}: the requested URI matches"
            )?;
        } else {
            writeln!(
                out,
                "  {YELLOW}{} difference(s){YELLOW:#}, listed above",
                r.differences.len()
            )?;
        }
    }
    if let Some(url) = &e.admin_consent_url {
        writeln!(out)?;
        writeln!(out, "{BOLD}Admin consent{BOLD:#}  {}", shown(url))?;
    }
    for n in &e.notes {
        writeln!(out, "{DIM}note{DIM:#}  {}", shown(n))?;
    }
    let ids = [
        ("trace ID", &report.trace_id),
        ("correlation ID", &report.correlation_id),
        ("timestamp", &report.timestamp),
    ];
    if ids.iter().any(|(_, v)| v.is_some()) {
        writeln!(out)?;
        writeln!(out, "{BOLD}For a support ticket{BOLD:#}")?;
        for (name, v) in ids {
            if let Some(v) = v {
                writeln!(out, "  {name:<15} {}", shown(v))?;
            }
        }
    }
    Ok(())
}

/// An error that stopped a command.
pub fn error(out: &mut impl Write, e: &CliError) {
    let _ = writeln!(out, "{RED}error{RED:#}: {}", shown(&e.to_string()));
}
