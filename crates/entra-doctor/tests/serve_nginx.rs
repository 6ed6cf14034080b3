#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
//! `serve` behind a real nginx: `auth_request` pointed at GET /auth.
//!
//! nginx (Debian's `nginx` package, /usr/sbin/nginx; set NGINX to use
//! another binary) runs in the foreground from a temporary folder, on a free
//! loopback port, proxying `/` to entra-doctor's /healthz after asking
//! /auth. Without nginx this test fails: CI installs it.

use crate::serve_support;

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serve_support::{example, free_port, send, Resp, Server};

fn nginx_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("NGINX") {
        return PathBuf::from(p);
    }
    let debian = PathBuf::from("/usr/sbin/nginx");
    if debian.exists() {
        return debian;
    }
    panic!(
        "nginx is not installed: this test runs a real nginx in front of `entra-doctor serve`. \
         Install it with `apt-get install -y nginx` (Debian), or set NGINX=/path/to/nginx."
    );
}

struct Nginx {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_auth;
            auth_request_set $auth_user $upstream_http_x_auth_user;
            auth_request_set $auth_tenant $upstream_http_x_auth_tenant;
            auth_request_set $auth_type $upstream_http_x_auth_principal_type;
            add_header X-Seen-User $auth_user always;
            add_header X-Seen-Tenant $auth_tenant always;
            add_header X-Seen-Type $auth_type always;
            proxy_set_header X-Auth-User $auth_user;
            proxy_pass http://{upstream}/healthz;
        }}
        location = /_auth {{
            internal;
            proxy_pass http://{upstream}/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
        }}
    }}
}}
"#
    )
}

fn start_nginx(upstream: SocketAddr) -> Nginx {
    let bin = nginx_binary();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, config(dir.path(), port, upstream)).unwrap();
    let mut child = Command::new(&bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if TcpStream::connect(addr).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("nginx exited ({status}) before listening:\n{err}\n{log}");
        }
        assert!(
            Instant::now() < deadline,
            "nginx did not listen on {addr} within 15 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nginx {
        child,
        addr,
        _dir: dir,
    }
}

fn through(nginx: &Nginx, method: &str, token: Option<&str>) -> Resp {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let body = if method == "POST" {
        "Content-Length: 5\r\n\r\nhello"
    } else {
        "\r\n"
    };
    let req = format!("{method} / HTTP/1.1\r\nHost: app.test\r\n{auth}Connection: close\r\n{body}");
    send(nginx.addr, req.as_bytes())
}

#[test]
fn nginx_auth_request_lets_valid_tokens_through_and_refuses_the_rest() {
    let server = Server::with_examples(&[]);
    let nginx = start_nginx(server.addr);

    // A valid token: nginx asks /auth, gets 200, proxies to the upstream.
    let r = through(&nginx, "GET", Some(&example("databricks-token.jwt")));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.text().contains("\"status\":\"ok\""), "{}", r.text());
    assert_eq!(r.header("x-seen-user"), Some("ada@contoso.example"));
    assert_eq!(r.header("x-seen-tenant"), Some(serve_support::TENANT));
    assert_eq!(r.header("x-seen-type"), Some("user"));

    let r = through(&nginx, "GET", Some(&example("service-principal-token.jwt")));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("x-seen-type"), Some("service_principal"));

    // No token: 401, and nginx passes our WWW-Authenticate on.
    let r = through(&nginx, "GET", None);
    assert_eq!(r.status, 401, "{r:?}");
    let h = r
        .header("www-authenticate")
        .expect("nginx forwards WWW-Authenticate");
    assert!(h.contains("error=\"invalid_request\""), "{h}");

    // A token for another API: 401 saying why.
    let r = through(&nginx, "GET", Some(&example("arm-token.jwt")));
    assert_eq!(r.status, 401, "{r:?}");
    let h = r.header("www-authenticate").unwrap();
    assert!(
        h.contains("error=\"invalid_token\"") && h.contains("audience: "),
        "{h}"
    );

    // A malformed token, and a POST (nginx asks /auth with the same method,
    // without the body).
    let r = through(&nginx, "GET", Some("not-a-token"));
    assert_eq!(r.status, 401);
    let r = through(&nginx, "POST", Some(&example("arm-token.jwt")));
    assert_eq!(r.status, 401);

    // Many in a row: the verified-token cache answers the repeats.
    for _ in 0..50 {
        assert_eq!(
            through(&nginx, "GET", Some(&example("databricks-token.jwt"))).status,
            200
        );
    }
    let health = server.get("/healthz", &[]).json();
    assert!(
        health["token_cache_entries"].as_u64().unwrap() >= 2,
        "{health}"
    );
}
