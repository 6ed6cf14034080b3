//! AADSTS50011 and friends: which registered redirect URI the requested one
//! is closest to, and exactly what differs (the registered URIs come from the
//! command line or from a manifest, read in `manifest.rs`).

use serde::Serialize;

/// The app-registration platform a redirect URI is registered under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// "Web": confidential clients that redeem codes with a secret.
    Web,
    /// "Mobile and desktop applications": public clients such as CLIs.
    PublicClient,
    /// "Single-page application": browser code redeeming cross-origin.
    Spa,
    /// Not known (a plain list of URIs).
    Unknown,
}

impl Platform {
    /// The name the Entra admin center shows.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Web => "Web",
            Platform::PublicClient => "Mobile and desktop applications",
            Platform::Spa => "Single-page application",
            Platform::Unknown => "an unknown platform",
        }
    }
}

/// A redirect URI registered on an app, with its platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredUri {
    /// The URI, as registered.
    pub url: String,
    /// The platform it is registered under.
    pub platform: Platform,
}

/// One way the requested URI differs from a registered one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UriDifference {
    /// `http` vs `https` (or a custom scheme).
    Scheme {
        /// The requested URI's scheme.
        requested: String,
        /// The registered URI's scheme.
        registered: String,
    },
    /// Different host names.
    Host {
        /// The requested URI's host.
        requested: String,
        /// The registered URI's host.
        registered: String,
    },
    /// Two spellings of the loopback host: `localhost`, `127.0.0.1`, `[::1]`.
    LoopbackName {
        /// The requested URI's host.
        requested: String,
        /// The registered URI's host.
        registered: String,
    },
    /// Different (or missing) ports.
    Port {
        /// The requested URI's port (`None`: none written).
        requested: Option<u16>,
        /// The registered URI's port (`None`: none written).
        registered: Option<u16>,
    },
    /// Different paths.
    Path {
        /// The requested URI's path.
        requested: String,
        /// The registered URI's path.
        registered: String,
    },
    /// The same path but for a trailing `/`.
    TrailingSlash {
        /// The requested URI's path.
        requested: String,
        /// The registered URI's path.
        registered: String,
    },
    /// The same text but for letter case, in `part` (scheme, host, path, query).
    Case {
        /// Which part: `scheme`, `host`, `path`, `query`, or `URI` for the whole.
        part: &'static str,
        /// That part in the requested URI.
        requested: String,
        /// That part in the registered URI.
        registered: String,
    },
    /// Different query strings.
    Query {
        /// The requested URI's query.
        requested: String,
        /// The registered URI's query.
        registered: String,
    },
    /// Different fragments (a redirect URI must not have one).
    Fragment {
        /// The requested URI's fragment.
        requested: String,
        /// The registered URI's fragment.
        registered: String,
    },
    /// Not comparable part by part (not URI-shaped).
    Other {
        /// The requested URI's whole URI.
        requested: String,
        /// The registered URI's whole URI.
        registered: String,
    },
}

impl UriDifference {
    fn weight(&self) -> u32 {
        match self {
            UriDifference::Scheme { .. } => 4,
            UriDifference::Host { .. } => 10,
            UriDifference::LoopbackName { .. } => 3,
            UriDifference::Port { .. } => 2,
            UriDifference::Path { .. } => 6,
            UriDifference::TrailingSlash { .. } | UriDifference::Case { .. } => 1,
            UriDifference::Query { .. } => 3,
            UriDifference::Fragment { .. } => 2,
            UriDifference::Other { .. } => 20,
        }
    }

    /// One sentence saying what differs.
    pub fn describe(&self) -> String {
        match self {
            UriDifference::Scheme { requested, registered } => {
                format!("Scheme: the request uses `{requested}` but the registered URI uses `{registered}`.")
            }
            UriDifference::Host { requested, registered } => {
                format!("Host: the request uses `{requested}` but the registered URI uses `{registered}`.")
            }
            UriDifference::LoopbackName { requested, registered } => format!(
                "Host: the request uses `{requested}` but the registered URI uses `{registered}`; Entra compares them as text, so `localhost` and `127.0.0.1` (and `[::1]`) are different hosts."
            ),
            UriDifference::Port { requested, registered } => format!(
                "Port: the request uses {} but the registered URI uses {}.",
                port_text(*requested),
                port_text(*registered)
            ),
            UriDifference::Path { requested, registered } => {
                format!("Path: the request uses `{}` but the registered URI uses `{}`.", or_root(requested), or_root(registered))
            }
            UriDifference::TrailingSlash { requested, registered } => format!(
                "Trailing slash: the request's path is `{}` and the registered one is `{}`; a trailing `/` makes a different URI.",
                or_root(requested),
                or_root(registered)
            ),
            UriDifference::Case { part, requested, registered } => format!(
                "Letter case in the {part}: `{requested}` vs `{registered}`; Entra compares redirect URIs case-sensitively."
            ),
            UriDifference::Query { requested, registered } => format!(
                "Query: the request has `{}` but the registered URI has `{}`.",
                or_none(requested),
                or_none(registered)
            ),
            UriDifference::Fragment { requested, registered } => format!(
                "Fragment: `{}` vs `{}`; a redirect URI must not contain a `#` fragment.",
                or_none(requested),
                or_none(registered)
            ),
            UriDifference::Other { requested, registered } => {
                format!("The URIs differ as a whole: `{requested}` vs `{registered}`.")
            }
        }
    }
}

fn port_text(p: Option<u16>) -> String {
    p.map_or_else(
        || "no port (the scheme's default)".to_owned(),
        |p| format!("port {p}"),
    )
}

fn or_root(p: &str) -> &str {
    if p.is_empty() {
        "(empty)"
    } else {
        p
    }
}

fn or_none(p: &str) -> &str {
    if p.is_empty() {
        "(none)"
    } else {
        p
    }
}

/// Which platform the requested URI turned up on when it is registered only
/// on a platform other than the one the client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformMismatch {
    /// Where the URI is registered.
    pub registered_on: Platform,
    /// Where the client needs it.
    pub needed: Platform,
}

/// The result of comparing a requested redirect URI with the registered ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedirectComparison {
    /// The redirect URI the request sent.
    pub requested: String,
    /// The requested URI is registered (exactly, or by the loopback-port rule
    /// on a public client) on a platform the client can use.
    pub matched: bool,
    /// The registered URI closest to the requested one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<RegisteredUri>,
    /// Everything that differs from `nearest` (empty when it is identical).
    pub differences: Vec<UriDifference>,
    /// Set when the URI is registered, but only on another platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_mismatch: Option<PlatformMismatch>,
    /// The only difference is a loopback port, which Entra ignores for
    /// public-client ("Mobile and desktop") registrations.
    pub loopback_port_rule: bool,
    /// What to do, in order.
    pub advice: Vec<String>,
}

/// The parts of a URI, split by hand (no normalisation).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
    bad_port: bool,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
    hierarchical: bool,
}

fn split_uri(uri: &str) -> Option<Parts<'_>> {
    let (scheme, rest, hierarchical) = if let Some((s, r)) = uri.split_once("://") {
        (s, r, true)
    } else {
        let (s, r) = uri.split_once(':')?;
        (s, r, false)
    };
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (before_query, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let (authority, path) = if hierarchical {
        match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i..]),
            None => (before_query, ""),
        }
    } else {
        ("", before_query)
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port_text) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => (&authority[..=i], authority[i + 1..].strip_prefix(':')),
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let (port, bad_port) = match port_text {
        Some("") | None => (None, false),
        Some(p) => match p.parse::<u16>() {
            Ok(n) => (Some(n), false),
            Err(_) => (None, true),
        },
    };
    Some(Parts {
        scheme,
        host,
        port,
        bad_port,
        path,
        query,
        fragment,
        hierarchical,
    })
}

fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost" || h == "[::1]" || h.starts_with("127.")
}

/// Everything that differs between `requested` and `registered`.
fn differences(requested: &str, registered: &str) -> Vec<UriDifference> {
    if requested == registered {
        return Vec::new();
    }
    let (Some(r), Some(g)) = (split_uri(requested), split_uri(registered)) else {
        return vec![whole_text_difference(requested, registered)];
    };
    if r.bad_port || g.bad_port || r.hierarchical != g.hierarchical {
        return vec![whole_text_difference(requested, registered)];
    }
    let mut out = Vec::new();
    if r.scheme != g.scheme {
        out.push(if r.scheme.eq_ignore_ascii_case(g.scheme) {
            UriDifference::Case {
                part: "scheme",
                requested: r.scheme.into(),
                registered: g.scheme.into(),
            }
        } else {
            UriDifference::Scheme {
                requested: r.scheme.into(),
                registered: g.scheme.into(),
            }
        });
    }
    if r.host != g.host {
        out.push(if r.host.eq_ignore_ascii_case(g.host) {
            UriDifference::Case {
                part: "host",
                requested: r.host.into(),
                registered: g.host.into(),
            }
        } else if is_loopback(r.host) && is_loopback(g.host) {
            UriDifference::LoopbackName {
                requested: r.host.into(),
                registered: g.host.into(),
            }
        } else {
            UriDifference::Host {
                requested: r.host.into(),
                registered: g.host.into(),
            }
        });
    }
    if r.port != g.port {
        out.push(UriDifference::Port {
            requested: r.port,
            registered: g.port,
        });
    }
    if r.path != g.path {
        let (rt, gt) = (r.path.trim_end_matches('/'), g.path.trim_end_matches('/'));
        let slash_differs = r.path.ends_with('/') != g.path.ends_with('/');
        if rt == gt && slash_differs {
            out.push(UriDifference::TrailingSlash {
                requested: r.path.into(),
                registered: g.path.into(),
            });
        } else if rt.eq_ignore_ascii_case(gt) {
            if slash_differs {
                out.push(UriDifference::TrailingSlash {
                    requested: r.path.into(),
                    registered: g.path.into(),
                });
            }
            out.push(UriDifference::Case {
                part: "path",
                requested: rt.into(),
                registered: gt.into(),
            });
        } else {
            out.push(UriDifference::Path {
                requested: r.path.into(),
                registered: g.path.into(),
            });
        }
    }
    if r.query != g.query {
        out.push(if r.query.eq_ignore_ascii_case(g.query) {
            UriDifference::Case {
                part: "query",
                requested: r.query.into(),
                registered: g.query.into(),
            }
        } else {
            UriDifference::Query {
                requested: r.query.into(),
                registered: g.query.into(),
            }
        });
    }
    if r.fragment != g.fragment {
        out.push(UriDifference::Fragment {
            requested: r.fragment.into(),
            registered: g.fragment.into(),
        });
    }
    if out.is_empty() {
        // Same parts, different text (e.g. an empty port "host:"): say so.
        out.push(whole_text_difference(requested, registered));
    }
    out
}

fn whole_text_difference(requested: &str, registered: &str) -> UriDifference {
    if requested.eq_ignore_ascii_case(registered) {
        UriDifference::Case {
            part: "URI",
            requested: requested.into(),
            registered: registered.into(),
        }
    } else {
        UriDifference::Other {
            requested: requested.into(),
            registered: registered.into(),
        }
    }
}

/// Where two strings first differ, compared character by character and
/// case-sensitively, as Entra compares redirect URIs and federated
/// credentials' issuer, subject and audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextDifference {
    /// 1-based position of the first differing character.
    pub position: usize,
    /// The presented text from that position on.
    pub presented_rest: String,
    /// The expected (registered) text from that position on.
    pub expected_rest: String,
    /// The texts are equal but for letter case.
    pub case_only: bool,
}

impl TextDifference {
    /// One sentence: where they differ, and how.
    pub fn describe(&self) -> String {
        let rest = |s: &str| {
            if s.is_empty() {
                "(the end)".to_owned()
            } else {
                format!("`{s}`")
            }
        };
        let case = if self.case_only {
            " They differ only in letter case, and the comparison is case-sensitive."
        } else {
            ""
        };
        format!(
            "First difference at character {}: {} presented, {} expected.{case}",
            self.position,
            rest(&self.presented_rest),
            rest(&self.expected_rest)
        )
    }
}

/// The first difference between `presented` and `expected`; `None` when equal.
pub fn first_difference(presented: &str, expected: &str) -> Option<TextDifference> {
    if presented == expected {
        return None;
    }
    // Equal characters have equal lengths: one byte offset serves both.
    let (mut at, mut position) = (0, 1);
    for (a, b) in presented.chars().zip(expected.chars()) {
        if a != b {
            break;
        }
        at += a.len_utf8();
        position += 1;
    }
    Some(TextDifference {
        position,
        presented_rest: presented[at..].to_owned(),
        expected_rest: expected[at..].to_owned(),
        case_only: presented.eq_ignore_ascii_case(expected)
            || presented.to_lowercase() == expected.to_lowercase(),
    })
}

/// The loopback exception: for public clients, Entra ignores the port of an
/// `http` loopback redirect URI.
fn only_loopback_port(requested: &str, diffs: &[UriDifference]) -> bool {
    matches!(diffs, [UriDifference::Port { .. }])
        && split_uri(requested)
            .is_some_and(|p| p.scheme.eq_ignore_ascii_case("http") && is_loopback(p.host))
}

/// Compares `requested` with plain registered URIs (platform unknown).
pub fn compare_redirect_uris(requested: &str, registered: &[String]) -> RedirectComparison {
    let with_platform: Vec<RegisteredUri> = registered
        .iter()
        .map(|u| RegisteredUri {
            url: u.clone(),
            platform: Platform::Unknown,
        })
        .collect();
    compare_registered(requested, &with_platform, None)
}

/// Compares `requested` with registered URIs that carry their platform.
/// `needed` is the platform the client must use, when known (a CLI or
/// desktop app needs [`Platform::PublicClient`], a server app
/// [`Platform::Web`], browser code [`Platform::Spa`]).
pub fn compare_registered(
    requested: &str,
    registered: &[RegisteredUri],
    needed: Option<Platform>,
) -> RedirectComparison {
    let requested = requested.trim();
    let usable = |p: Platform| needed.is_none_or(|n| p == n || p == Platform::Unknown);
    let mut cmp = RedirectComparison {
        requested: requested.to_owned(),
        matched: false,
        nearest: None,
        differences: Vec::new(),
        platform_mismatch: None,
        loopback_port_rule: false,
        advice: Vec::new(),
    };
    if registered.is_empty() {
        cmp.advice.push(format!(
            "The application has no redirect URI registered. Add `{requested}` under App registrations > your app > Authentication > Add a platform ({}).",
            needed.unwrap_or(Platform::PublicClient).label()
        ));
        return cmp;
    }

    // 1. Exactly registered on a usable platform.
    if let Some(hit) = registered
        .iter()
        .find(|r| r.url.trim() == requested && usable(r.platform))
    {
        cmp.matched = true;
        cmp.nearest = Some(hit.clone());
        cmp.advice.push(match hit.platform {
            Platform::Unknown => format!("`{requested}` is registered exactly. If AADSTS50011 still occurs, check that it is registered under the platform the client needs (CLI and desktop tools: {}; server apps: {}), and that the request goes to the tenant and client ID you checked.", Platform::PublicClient.label(), Platform::Web.label()),
            p => format!("`{requested}` is registered exactly, under {}. If the error persists, check the request goes to the same client ID and tenant.", p.label()),
        });
        return cmp;
    }

    // 2. Registered, but only on another platform.
    if let (Some(needed), Some(other)) = (
        needed,
        registered.iter().find(|r| r.url.trim() == requested),
    ) {
        cmp.nearest = Some(other.clone());
        cmp.platform_mismatch = Some(PlatformMismatch {
            registered_on: other.platform,
            needed,
        });
        cmp.advice.push(format!(
            "Platform mismatch: `{requested}` is registered under {}, but this client needs it under {}. Add it under {} (App registrations > your app > Authentication > Add a platform); a URI under the wrong platform does not count.",
            other.platform.label(),
            needed.label(),
            needed.label()
        ));
        return cmp;
    }

    // 3. The nearest registered URI and what differs.
    let pool: Vec<&RegisteredUri> = {
        let preferred: Vec<&RegisteredUri> =
            registered.iter().filter(|r| usable(r.platform)).collect();
        if preferred.is_empty() {
            registered.iter().collect()
        } else {
            preferred
        }
    };
    let mut best: Option<(u32, &RegisteredUri, Vec<UriDifference>)> = None;
    for r in pool {
        let d = differences(requested, r.url.trim());
        let score: u32 = d.iter().map(UriDifference::weight).sum();
        if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
            best = Some((score, r, d));
        }
    }
    let Some((_, nearest, diffs)) = best else {
        return cmp;
    };
    let loopback = only_loopback_port(requested, &diffs);
    cmp.nearest = Some(nearest.clone());
    cmp.loopback_port_rule = loopback;
    if loopback && nearest.platform == Platform::PublicClient {
        cmp.matched = true;
        cmp.advice.push(format!(
            "Only the port differs from `{}`, and it is registered under {}: Entra ignores the port of http loopback redirect URIs for public clients, so this URI is accepted. Look elsewhere (client ID, tenant, platform).",
            nearest.url,
            Platform::PublicClient.label()
        ));
        cmp.differences = diffs;
        return cmp;
    }
    let platform = match nearest.platform {
        Platform::Unknown => String::new(),
        p => format!(" ({})", p.label()),
    };
    cmp.advice.push(format!(
        "Nearest registered URI: `{}`{platform}. What differs:",
        nearest.url
    ));
    cmp.advice
        .extend(diffs.iter().map(|d| format!("- {}", d.describe())));
    if diffs.iter().any(|d| matches!(d, UriDifference::Scheme { requested, .. } if requested.eq_ignore_ascii_case("http")))
        && split_uri(requested).is_some_and(|p| !is_loopback(p.host))
    {
        cmp.advice.push("Entra accepts plain http only for loopback addresses (localhost, 127.0.0.1); other hosts need https.".into());
    }
    if loopback {
        cmp.advice.push(format!(
            "Only a loopback port differs. Entra ignores the port of http://localhost and http://127.0.0.1 redirect URIs for public clients (native apps), but not under {}: register the URI under {} instead, or make the client use the registered port.",
            if nearest.platform == Platform::Unknown { "Web or Single-page application".to_owned() } else { nearest.platform.label().to_owned() },
            Platform::PublicClient.label()
        ));
    }
    cmp.advice.push(format!(
        "Fix: register exactly `{requested}` under {} (App registrations > your app > Authentication), or make the client send `{}`.",
        needed.map_or(if nearest.platform == Platform::Unknown { "the platform the client needs" } else { nearest.platform.label() }, Platform::label),
        nearest.url
    ));
    cmp.differences = diffs;
    cmp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_match_is_matched() {
        let c = compare_redirect_uris(
            "http://localhost:8020",
            &regs(&["https://app.example.com/cb", "http://localhost:8020"]),
        );
        assert!(c.matched);
        assert!(c.differences.is_empty());
        assert_eq!(c.nearest.unwrap().url, "http://localhost:8020");
    }

    #[test]
    fn first_difference_names_position_and_rests() {
        let d = first_difference(
            "repo:org/repo:ref:refs/heads/dev",
            "repo:org/repo:ref:refs/heads/main",
        )
        .unwrap();
        assert_eq!(d.position, 30);
        assert_eq!(d.presented_rest, "dev");
        assert_eq!(d.expected_rest, "main");
        assert!(!d.case_only);
        let d = first_difference("repo:Org/r", "repo:org/r").unwrap();
        assert_eq!((d.position, d.case_only), (6, true));
        let d = first_difference("https://x/", "https://x").unwrap();
        assert_eq!((d.position, d.expected_rest.as_str()), (10, ""));
        assert!(d.describe().contains("(the end)"));
        assert!(first_difference("a", "a").is_none());
    }

    #[test]
    fn each_kind_of_difference() {
        let one = |req: &str, reg: &str| {
            let c = compare_redirect_uris(req, &regs(&[reg]));
            assert!(!c.matched, "{req} vs {reg}");
            c.differences
        };
        assert_eq!(
            one("http://app.example.com/cb", "https://app.example.com/cb"),
            vec![UriDifference::Scheme {
                requested: "http".into(),
                registered: "https".into()
            }]
        );
        assert_eq!(
            one("https://app.example.com/cb", "https://app.example.org/cb"),
            vec![UriDifference::Host {
                requested: "app.example.com".into(),
                registered: "app.example.org".into()
            }]
        );
        assert_eq!(
            one("http://127.0.0.1:8020", "http://localhost:8020"),
            vec![UriDifference::LoopbackName {
                requested: "127.0.0.1".into(),
                registered: "localhost".into()
            }]
        );
        assert_eq!(
            one(
                "https://app.example.com:8443/cb",
                "https://app.example.com/cb"
            ),
            vec![UriDifference::Port {
                requested: Some(8443),
                registered: None
            }]
        );
        assert_eq!(
            one(
                "https://app.example.com/callback",
                "https://app.example.com/auth/callback"
            ),
            vec![UriDifference::Path {
                requested: "/callback".into(),
                registered: "/auth/callback".into()
            }]
        );
        assert_eq!(
            one("http://localhost:8020/", "http://localhost:8020"),
            vec![UriDifference::TrailingSlash {
                requested: "/".into(),
                registered: "".into()
            }]
        );
        assert_eq!(
            one(
                "https://app.example.com/Callback",
                "https://app.example.com/callback"
            ),
            vec![UriDifference::Case {
                part: "path",
                requested: "/Callback".into(),
                registered: "/callback".into()
            }]
        );
        assert_eq!(
            one("https://App.Example.com/cb", "https://app.example.com/cb"),
            vec![UriDifference::Case {
                part: "host",
                requested: "App.Example.com".into(),
                registered: "app.example.com".into()
            }]
        );
        assert_eq!(
            one(
                "https://app.example.com/cb?x=1",
                "https://app.example.com/cb"
            ),
            vec![UriDifference::Query {
                requested: "x=1".into(),
                registered: "".into()
            }]
        );
        assert!(matches!(
            one("https://app.example.com/cb#x", "https://app.example.com/cb")[..],
            [UriDifference::Fragment { .. }]
        ));
        assert!(matches!(
            one("not a uri", "https://app.example.com/cb")[..],
            [UriDifference::Other { .. }]
        ));
        let several = one("http://127.0.0.1:8080/cb/", "https://localhost/cb");
        assert_eq!(several.len(), 4, "{several:?}");
    }

    #[test]
    fn picks_the_nearest() {
        let c = compare_redirect_uris(
            "http://localhost:8020/",
            &regs(&[
                "https://portal.example.com/signin",
                "http://localhost:8020",
                "http://localhost:9000/x",
            ]),
        );
        assert_eq!(c.nearest.unwrap().url, "http://localhost:8020");
        assert!(c.advice.iter().any(|a| a.contains("Trailing slash")));
        assert!(c
            .advice
            .last()
            .unwrap()
            .contains("register exactly `http://localhost:8020/`"));
    }

    #[test]
    fn loopback_port_rule() {
        let public = vec![RegisteredUri {
            url: "http://localhost".into(),
            platform: Platform::PublicClient,
        }];
        let c = compare_registered("http://localhost:8020", &public, None);
        assert!(c.matched && c.loopback_port_rule);
        let web = vec![RegisteredUri {
            url: "http://localhost:5000".into(),
            platform: Platform::Web,
        }];
        let c = compare_registered("http://localhost:8020", &web, None);
        assert!(!c.matched && c.loopback_port_rule);
        assert!(c.advice.iter().any(|a| a.contains("ignores the port")));
        let c = compare_redirect_uris("http://localhost:8020", &regs(&["http://localhost:5000"]));
        assert!(!c.matched && c.loopback_port_rule);
    }

    #[test]
    fn platform_mismatch_is_reported() {
        let regs = vec![
            RegisteredUri {
                url: "http://localhost:8020".into(),
                platform: Platform::Web,
            },
            RegisteredUri {
                url: "https://app.example.com/cb".into(),
                platform: Platform::Web,
            },
        ];
        let c = compare_registered("http://localhost:8020", &regs, Some(Platform::PublicClient));
        assert!(!c.matched);
        assert_eq!(
            c.platform_mismatch,
            Some(PlatformMismatch {
                registered_on: Platform::Web,
                needed: Platform::PublicClient
            })
        );
        assert!(c.advice[0].contains("Platform mismatch"));
        // Without a known need, a URI on any platform counts.
        assert!(compare_registered("http://localhost:8020", &regs, None).matched);
    }

    #[test]
    fn nothing_registered() {
        let c = compare_redirect_uris("http://localhost:8020", &[]);
        assert!(!c.matched && c.nearest.is_none());
        assert!(c.advice[0].contains("no redirect URI"));
    }
}
