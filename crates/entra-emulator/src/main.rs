//! `entra-emulator`: serve the Entra ID / Azure Databricks stand-in on 127.0.0.1, mint
//! tokens, or write a batch of tokens for benchmarks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use entra_emulator::{
    mint_batch, BatchOptions, Emulator, EmulatorConfig, MemberKind, MintRequest, RunningEmulator,
    TokenVersion, DATABRICKS_RESOURCE_ID,
};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "entra-emulator",
    version,
    about = "Local stand-in for Microsoft Entra ID and Azure Databricks workspaces (127.0.0.1 only)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve until Ctrl-C; first print one JSON object (base URL, tenants, workspace
    /// URLs, a ready-made valid Databricks token) on stdout.
    Serve {
        /// Port of the Entra (authority) listener; 0 = any free port.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// JSON configuration file (tenants, workspaces, issuers); default: the demo.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Use issuers on the emulator's base URL instead of Entra's real ones.
        #[arg(long)]
        loopback_issuers: bool,
    },
    /// Mint one token with fresh keys; print {"token", "jwks_v1", "jwks_v2"} as JSON.
    Mint {
        /// JSON configuration file; default: the demo.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Tenant id (default: the first tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// User principal name of a user token.
        #[arg(long, conflicts_with = "sp")]
        user: Option<String>,
        /// Application id of a service-principal token.
        #[arg(long)]
        sp: Option<String>,
        /// Mint a v2.0 token.
        #[arg(long)]
        v2: bool,
        /// Audience.
        #[arg(long, default_value = DATABRICKS_RESOURCE_ID)]
        aud: String,
        /// Seconds until expiry (negative: already expired).
        #[arg(long, default_value_t = 3600, allow_hyphen_values = true)]
        expires_in: i64,
    },
    /// Write N distinct valid v1.0 Databricks user tokens (signed in parallel with one
    /// key), the sequence repeated R times, and the JWKS that verifies them.
    MintBatch {
        /// Distinct tokens.
        #[arg(long)]
        count: usize,
        /// Times the whole sequence is written (round-robin).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Token file (one per line).
        #[arg(long)]
        out: PathBuf,
        /// JWKS file.
        #[arg(long)]
        jwks_out: PathBuf,
        /// Tenant id.
        #[arg(long, default_value = entra_emulator::DEMO_TENANT_ID)]
        tenant: String,
        /// Token lifetime in seconds.
        #[arg(long, default_value_t = 4500)]
        lifetime: i64,
        /// Signing threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            port,
            config,
            loopback_issuers,
        } => serve(port, config, loopback_issuers),
        Command::Mint {
            config,
            tenant,
            user,
            sp,
            v2,
            aud,
            expires_in,
        } => mint(config, tenant, user, sp, v2, aud, expires_in),
        Command::MintBatch {
            count,
            repeat,
            out,
            jwks_out,
            tenant,
            lifetime,
            threads,
        } => batch(count, repeat, out, jwks_out, tenant, lifetime, threads),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("entra-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyResult = Result<(), Box<dyn std::error::Error>>;

fn load_config(path: Option<PathBuf>) -> Result<EmulatorConfig, Box<dyn std::error::Error>> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Ok(EmulatorConfig::from_json(&text)?)
        }
        None => Ok(EmulatorConfig::default()),
    }
}

/// The first workspace member and a token for it, or a token for a made-up user of the
/// first tenant if there is no workspace.
fn ready_token(cfg: &EmulatorConfig, emu: &RunningEmulator) -> Value {
    for w in &cfg.workspaces {
        if let Some(m) = w.members.iter().find(|m| m.active) {
            let req = match m.kind {
                MemberKind::User => MintRequest::user(m.name.clone()),
                MemberKind::ServicePrincipal => MintRequest::service_principal(m.name.clone()),
            }
            .tenant(w.tenant_id.clone());
            if let Ok(token) = emu.try_mint(&req) {
                return json!({
                    "token": token,
                    "token_subject": m.name,
                    "token_workspace": w.name,
                });
            }
        }
    }
    match cfg.tenants.first() {
        Some(t) => {
            let upn = format!(
                "user@{}",
                t.domain.clone().unwrap_or_else(|| "example.com".into())
            );
            let req = MintRequest::user(upn.clone()).tenant(t.id.clone());
            json!({
                "token": emu.try_mint(&req).ok(),
                "token_subject": upn,
                "token_workspace": Value::Null,
            })
        }
        None => json!({"token": Value::Null}),
    }
}

fn describe(cfg: &EmulatorConfig, emu: &RunningEmulator) -> Value {
    let tenants: Vec<Value> = cfg
        .tenants
        .iter()
        .map(|t| {
            json!({
                "tenant_id": t.id,
                "domain": t.domain,
                "display_name": t.display_name,
                "issuer_v1": emu.issuer(&t.id, TokenVersion::V1),
                "issuer_v2": emu.issuer(&t.id, TokenVersion::V2),
                "openid_configuration_v1": emu.discovery_url(&t.id, TokenVersion::V1),
                "openid_configuration_v2": emu.discovery_url(&t.id, TokenVersion::V2),
                "jwks_uri_v1": emu.jwks_url(&t.id, TokenVersion::V1),
                "jwks_uri_v2": emu.jwks_url(&t.id, TokenVersion::V2),
                "current_kid": emu.current_kid(&t.id),
                "app_keys": t.app_keys,
            })
        })
        .collect();
    let workspaces: Vec<Value> = cfg
        .workspaces
        .iter()
        .map(|w| {
            json!({
                "name": w.name,
                "url": emu.workspace_url(&w.name),
                "tenant_id": w.tenant_id,
                "members": w.members.iter().map(|m| json!({
                    "kind": m.kind,
                    "name": m.name,
                    "display_name": m.display_name,
                    "active": m.active,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out = json!({
        "base_url": emu.base_url(),
        "tenant_ids": emu.tenant_ids(),
        "tenants": tenants,
        "workspaces": workspaces,
        "databricks_resource_id": DATABRICKS_RESOURCE_ID,
    });
    if let (Value::Object(o), Value::Object(t)) = (&mut out, ready_token(cfg, emu)) {
        o.extend(t);
    }
    out
}

fn serve(port: u16, config: Option<PathBuf>, loopback: bool) -> AnyResult {
    let mut cfg = load_config(config)?;
    if port != 0 {
        cfg.port = port;
    }
    if loopback {
        cfg = cfg.loopback_issuers();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let emu = Emulator::start(cfg.clone()).await?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", describe(&cfg, &emu))?;
        stdout.flush()?;
        drop(stdout);
        eprintln!(
            "entra-emulator: serving on {} (Ctrl-C to stop)",
            emu.base_url()
        );
        wait_for_signal().await;
        eprintln!("entra-emulator: stopping");
        emu.shutdown_async().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn mint(
    config: Option<PathBuf>,
    tenant: Option<String>,
    user: Option<String>,
    sp: Option<String>,
    v2: bool,
    aud: String,
    expires_in: i64,
) -> AnyResult {
    let cfg = load_config(config)?;
    let tenant = tenant
        .or_else(|| cfg.tenants.first().map(|t| t.id.clone()))
        .ok_or("no tenant configured")?;
    let emu = Emulator::start_blocking(cfg)?;
    let mut req = match sp {
        Some(app) => MintRequest::service_principal(app),
        None => MintRequest::user(user.unwrap_or_else(|| entra_emulator::DEMO_USER.into())),
    }
    .tenant(tenant.clone())
    .audience(aud)
    .expires_in(expires_in);
    if v2 {
        req = req.v2();
    }
    let token = emu.try_mint(&req)?;
    let out = json!({
        "token": token,
        "tenant_id": tenant,
        "jwks_v1": emu.jwks(&tenant, TokenVersion::V1)?,
        "jwks_v2": emu.jwks(&tenant, TokenVersion::V2)?,
    });
    println!("{out}");
    emu.shutdown();
    Ok(())
}

fn batch(
    count: usize,
    repeat: usize,
    out: PathBuf,
    jwks_out: PathBuf,
    tenant: String,
    lifetime: i64,
    threads: usize,
) -> AnyResult {
    if count == 0 {
        return Err("--count must be at least 1".into());
    }
    let opts = BatchOptions {
        count,
        repeat,
        tenant_id: tenant,
        lifetime_secs: lifetime,
        threads,
        ..BatchOptions::default()
    };
    let mut tokens_file =
        std::fs::File::create(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut jwks_file = std::fs::File::create(&jwks_out)
        .map_err(|e| format!("cannot create {}: {e}", jwks_out.display()))?;
    let progress = |done: usize, total: usize| {
        eprint!("\rentra-emulator: signed {done}/{total}");
    };
    let s = mint_batch(&opts, &mut tokens_file, &mut jwks_file, &progress)?;
    let secs = s.signing_time.as_secs_f64();
    let rate = if secs > 0.0 {
        s.tokens as f64 / secs
    } else {
        0.0
    };
    eprintln!(
        "\rentra-emulator: {} tokens ({} lines) signed in {secs:.2} s on {} threads ({rate:.0}/s), kid {}",
        s.tokens, s.lines, s.threads, s.kid
    );
    Ok(())
}
