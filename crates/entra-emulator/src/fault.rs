//! Fault injection: make chosen paths misbehave so that clients' timeouts, size limits
//! and error handling can be tested.

use std::time::Duration;

/// Longest a [`Fault::Stall`] or [`Fault::Delay`] lasts, so that a stalled request ends
/// by itself even if the client never gives up.
pub const MAX_STALL: Duration = Duration::from_secs(60);

/// Largest body a [`Fault::Oversized`] sends.
pub const MAX_OVERSIZED: usize = 64 * 1024 * 1024;

/// Default size of [`Fault::oversized`]: 2 MiB.
pub const DEFAULT_OVERSIZED: usize = 2 * 1024 * 1024;

/// What to do instead of answering normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and body (`application/json` if the body parses as JSON,
    /// `text/plain` otherwise).
    Status {
        /// HTTP status code (an invalid code is sent as 500).
        status: u16,
        /// Response body.
        body: String,
    },
    /// Accept the request and say nothing for this long (at most [`MAX_STALL`]; also
    /// ends when the emulator shuts down), then answer 504.
    Stall(Duration),
    /// Wait this long (at most [`MAX_STALL`]), then answer normally.
    Delay(Duration),
    /// Answer 200 with `Content-Type: application/json` and a body that is not JSON
    /// (not even UTF-8).
    Garbage,
    /// Answer 200 with a syntactically valid JSON body of this many bytes (at most
    /// [`MAX_OVERSIZED`]).
    Oversized {
        /// Body size in bytes.
        bytes: usize,
    },
    /// Answer 302 with a `Location` equal to the request's own path and query.
    RedirectLoop,
    /// Close the TCP connection without sending any response byte.
    CloseConnection,
}

impl Fault {
    /// [`Fault::Status`] with the given status and body.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Status {
            status,
            body: body.into(),
        }
    }

    /// [`Fault::Stall`] for [`MAX_STALL`].
    pub fn stall() -> Self {
        Self::Stall(MAX_STALL)
    }

    /// [`Fault::Oversized`] of [`DEFAULT_OVERSIZED`] bytes.
    pub fn oversized() -> Self {
        Self::Oversized {
            bytes: DEFAULT_OVERSIZED,
        }
    }
}

/// A fault bound to a listener and a path prefix.
#[derive(Clone, Debug)]
pub(crate) struct FaultRule {
    /// `None`: the Entra listener; `Some(name)`: that workspace's listener.
    pub(crate) workspace: Option<String>,
    pub(crate) prefix: String,
    pub(crate) fault: Fault,
    /// `None`: until cleared; `Some(n)`: for the next n matching requests.
    pub(crate) remaining: Option<u32>,
}

/// Takes the fault that applies to a request, if any: the most recently set matching rule.
pub(crate) fn take_matching(
    rules: &mut Vec<FaultRule>,
    workspace: Option<&str>,
    path: &str,
) -> Option<Fault> {
    let idx = rules
        .iter()
        .rposition(|r| r.workspace.as_deref() == workspace && path.starts_with(&r.prefix))?;
    let rule = rules.get_mut(idx)?;
    let fault = rule.fault.clone();
    if let Some(n) = rule.remaining.as_mut() {
        *n = n.saturating_sub(1);
        if *n == 0 {
            rules.remove(idx);
        }
    }
    Some(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_rule_wins_and_counts_down() {
        let mut rules = vec![
            FaultRule {
                workspace: None,
                prefix: "/".into(),
                fault: Fault::Garbage,
                remaining: None,
            },
            FaultRule {
                workspace: None,
                prefix: "/t/discovery".into(),
                fault: Fault::RedirectLoop,
                remaining: Some(1),
            },
        ];
        assert_eq!(
            take_matching(&mut rules, None, "/t/discovery/keys"),
            Some(Fault::RedirectLoop)
        );
        assert_eq!(
            take_matching(&mut rules, None, "/t/discovery/keys"),
            Some(Fault::Garbage)
        );
        assert_eq!(take_matching(&mut rules, Some("ws"), "/t"), None);
    }
}
