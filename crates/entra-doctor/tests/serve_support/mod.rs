//! Shared by the `serve_*` tests: starts `entra-doctor serve --port 0`,
//! reads the URL from the first line of its standard output, and speaks
//! plain HTTP/1.1 over a socket (so tests can send exactly the bytes they
//! mean: odd Host headers, huge headers, half a body).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub use crate::cli_support::TENANT;

pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(examples().join(name))
        .expect("example file")
        .trim()
        .to_owned()
}

pub fn jwks_path() -> String {
    examples().join("jwks.json").display().to_string()
}

/// A running `entra-doctor serve`, stopped on drop.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `entra-doctor serve --port 0 --offline --no-cache ARGS…`: tests never
    /// use the network nor the user's key cache.
    pub fn start(args: &[&str]) -> Server {
        let mut all = vec!["--offline", "--no-cache"];
        all.extend_from_slice(args);
        Server::start_with(&all)
    }

    /// `entra-doctor serve --port 0 ARGS…`, online (the test resolves names
    /// to loopback with --test-resolve).
    pub fn start_with(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_entra-doctor"))
            .env_remove("DATABRICKS_HOST")
            .env_remove("DATABRICKS_CONFIG_PROFILE")
            .arg("serve")
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start entra-doctor serve");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let err_text = Arc::new(Mutex::new(String::new()));
        let sink = err_text.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let mut rest = Vec::new();
            let _ = r.read_to_end(&mut rest);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve printed no URL within 30 s; stderr: {}",
                    err_text.lock().unwrap()
                );
            }
        };
        let url = line.trim().to_owned();
        let hostport = url
            .strip_prefix("http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| {
                panic!(
                    "first line is not a URL: {url:?}; stderr: {}",
                    err_text.lock().unwrap()
                )
            });
        let addr: SocketAddr = hostport.parse().expect("URL's host:port");
        Server {
            child,
            addr,
            url,
            stderr: err_text,
        }
    }

    /// The example key set and tenant.
    pub fn with_examples(extra: &[&str]) -> Server {
        let jwks = jwks_path();
        let mut args = vec!["--jwks", jwks.as_str(), "--tenant", TENANT];
        args.extend_from_slice(extra);
        Server::start(&args)
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.host()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        send(self.addr, req.as_bytes())
    }

    /// A JSON POST as the page sends it (same-origin).
    pub fn post_json(&self, path: &str, body: &str) -> Resp {
        self.post(path, body, &[("Content-Type", "application/json")])
    }

    pub fn post(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host(),
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        send(self.addr, req.as_bytes())
    }

    pub fn auth(&self, token: Option<&str>) -> Resp {
        match token {
            Some(t) => self.get("/auth", &[("Authorization", &format!("Bearer {t}"))]),
            None => self.get("/auth", &[]),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends raw bytes, reads the answer until the server closes.
pub fn send(addr: SocketAddr, request: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (413) before reading everything: ignore a
    // failed write and read what it said.
    let _ = s.write_all(request);
    read_response(&mut s)
}

pub fn read_response(s: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => panic!("read: {e} (got {} bytes)", raw.len()),
        }
    }
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete HTTP head in {:?}",
                String::from_utf8_lossy(raw)
            )
        });
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    } else if let Some(n) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(n);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[i + 2 + size + 2..];
    }
    out
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    crate::cli_support::b64(bytes)
}
