//! The token cache of `token`, as `az` and the Databricks CLI keep one: a
//! second `token` within the token's lifetime costs no sign-in.
//!
//! - One file, `token-cache.json`, in the platform cache folder (or
//!   `--cache-dir`), written atomically with mode 0600 in a 0700 folder.
//! - Keyed by the SHA-256 of authority, tenant, client, resource or scope,
//!   flow, user and the client credential (so that a changed secret is
//!   tried for real, not answered from the cache): a token is only ever
//!   reused for the same request. The key holds no secret, only the hash.
//! - Access tokens only: a refresh token is never written.
//! - Bounded: at most [`MAX_ENTRIES`] entries and [`MAX_FILE_BYTES`];
//!   entries that expire within [`MARGIN_SECS`] are ignored and dropped. A
//!   file that cannot be read or parsed is treated as empty, never trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TokenResponse;

pub const FILE_NAME: &str = "token-cache.json";
pub const MAX_ENTRIES: usize = 64;
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// A token that expires sooner than this is not handed out again.
pub const MARGIN_SECS: i64 = 300;

/// What a cached token was asked for.
pub struct CacheKey<'a> {
    pub authority: &'a str,
    pub tenant: &'a str,
    pub client_id: &'a str,
    /// The resource (v1) or scope (v2), with the version.
    pub target: &'a str,
    pub flow: &'a str,
    /// The user, when the flow names one (password, login hint).
    pub user: Option<&'a str>,
    /// The client credential (secret, or certificate file), hashed in.
    pub credential: Option<&'a str>,
}

impl CacheKey<'_> {
    fn id(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.authority.trim_end_matches('/').to_ascii_lowercase(),
            self.tenant.to_ascii_lowercase(),
            self.client_id.to_ascii_lowercase(),
            self.target,
            self.flow,
            self.user.unwrap_or("").to_ascii_lowercase(),
            self.credential.unwrap_or("")
        );
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
        d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    key: String,
    access_token: String,
    token_type: String,
    expires_on: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// The cache file in a folder.
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    /// The default folder: the platform cache folder's `entra-doctor`.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("entra-doctor"))
    }

    pub fn in_dir(dir: &Path) -> TokenCache {
        TokenCache {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self, now: i64) -> File {
        let Ok(f) = std::fs::File::open(&self.path) else {
            return File::default();
        };
        let Ok(Some(bytes)) = crate::input_source::read_bounded(f, MAX_FILE_BYTES) else {
            return File::default();
        };
        let mut file: File = serde_json::from_slice(&bytes).unwrap_or_default();
        file.entries.retain(|e| e.expires_on - MARGIN_SECS > now);
        file.entries.truncate(MAX_ENTRIES);
        file
    }

    /// A token for this request that is still good for [`MARGIN_SECS`].
    pub fn get(&self, key: &CacheKey<'_>, now: i64) -> Option<TokenResponse> {
        let id = key.id();
        let file = self.load(now);
        let e = file.entries.into_iter().find(|e| e.key == id)?;
        Some(TokenResponse {
            access_token: e.access_token,
            token_type: e.token_type,
            expires_on: e.expires_on,
            tenant: e.tenant,
            subscription: None,
        })
    }

    /// Keeps a token (newest first; the oldest beyond [`MAX_ENTRIES`] go).
    pub fn put(&self, key: &CacheKey<'_>, t: &TokenResponse, now: i64) -> std::io::Result<()> {
        if t.expires_on - MARGIN_SECS <= now {
            return Ok(());
        }
        let id = key.id();
        let mut file = self.load(now);
        file.version = 1;
        file.entries.retain(|e| e.key != id);
        file.entries.insert(
            0,
            Entry {
                key: id,
                access_token: t.access_token.clone(),
                token_type: t.token_type.clone(),
                expires_on: t.expires_on,
                tenant: t.tenant.clone(),
            },
        );
        file.entries.truncate(MAX_ENTRIES);
        let body = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        if body.len() > MAX_FILE_BYTES {
            return Ok(());
        }
        self.write(&body)
    }

    fn write(&self, body: &[u8]) -> std::io::Result<()> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| std::io::Error::other("the cache file has no folder"))?;
        create_private_dir(dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".token-cache")
            .tempfile_in(dir)?;
        // tempfile creates its files with mode 0600 on Unix.
        tmp.write_all(body)?;
        tmp.flush()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(client: &'a str, user: Option<&'a str>) -> CacheKey<'a> {
        CacheKey {
            authority: "https://login.microsoftonline.com",
            tenant: "t",
            client_id: client,
            target: "v1 2ff814a6",
            flow: "client_secret",
            user,
            credential: Some("s1"),
        }
    }

    fn token(exp: i64) -> TokenResponse {
        TokenResponse {
            access_token: format!("a.b.{exp}"),
            token_type: "Bearer".into(),
            expires_on: exp,
            tenant: None,
            subscription: None,
        }
    }

    #[test]
    fn reuses_a_token_only_for_the_same_request_and_while_it_lasts() {
        let dir = tempfile::tempdir().unwrap();
        let c = TokenCache::in_dir(dir.path());
        assert!(c.get(&key("app", None), 1000).is_none());
        c.put(&key("app", None), &token(5000), 1000).unwrap();
        assert_eq!(
            c.get(&key("app", None), 1000).unwrap().access_token,
            "a.b.5000"
        );
        assert!(c.get(&key("other", None), 1000).is_none());
        assert!(c.get(&key("app", Some("bob")), 1000).is_none());
        let mut new_secret = key("app", None);
        new_secret.credential = Some("s2");
        assert!(
            c.get(&new_secret, 1000).is_none(),
            "a new secret is tried for real"
        );
        // Within the margin of its expiry: not handed out.
        assert!(c.get(&key("app", None), 5000 - MARGIN_SECS).is_none());
    }

    #[test]
    fn file_is_private_bounded_and_holds_no_refresh_token() {
        let dir = tempfile::tempdir().unwrap();
        let c = TokenCache::in_dir(&dir.path().join("sub"));
        for i in 0..(MAX_ENTRIES + 10) {
            let client = format!("app{i}");
            c.put(&key(&client, None), &token(9000), 1000).unwrap();
        }
        let text = std::fs::read_to_string(c.path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["entries"].as_array().unwrap().len(), MAX_ENTRIES);
        assert!(!text.contains("refresh"));
        // The newest stay.
        let last = format!("app{}", MAX_ENTRIES + 9);
        assert!(c.get(&key(&last, None), 1000).is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(c.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(dir.path().join("sub"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
    }

    #[test]
    fn a_damaged_file_is_ignored_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let c = TokenCache::in_dir(dir.path());
        std::fs::write(c.path(), b"{not json").unwrap();
        assert!(c.get(&key("app", None), 0).is_none());
        c.put(&key("app", None), &token(9000), 1000).unwrap();
        assert!(c.get(&key("app", None), 1000).is_some());
    }
}
