//! One Cost Explorer session, the way every Cost Explorer call goes out: the cost guard (AWS
//! charges each paginated request, so requests are counted and the run stops at
//! `--max-requests`) and the on-disk cache of answers, keyed by the request and kept for
//! `--cache-hours`, so a cron rerun does not pay twice. Pages are followed to the end.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_costexplorer::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AwsOptions;
use crate::error::{ErrContext, Error, Result};
use crate::output;

/// What AWS charges for one Cost Explorer API request (each page is one request), in USD.
pub const PRICE_PER_REQUEST_USD: f64 = 0.01;

/// Requests of one run: paid ones, and those the cache answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub paid: u32,
    pub from_cache: u32,
}

impl RequestStats {
    pub fn cost_usd(&self) -> f64 {
        f64::from(self.paid) * PRICE_PER_REQUEST_USD
    }
}

impl fmt::Display for RequestStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cost Explorer: {} paid request{} (${:.2}), {} answered from the cache",
            self.paid,
            if self.paid == 1 { "" } else { "s" },
            self.cost_usd(),
            self.from_cache
        )
    }
}

/// One page of an answer, as cached: what costlens keeps of it, and the token of the next one.
pub(crate) trait Page: Serialize + DeserializeOwned {
    fn next_page_token(&self) -> Option<&str>;
}

/// A request without its page token: the operation and its parameters, as the cache key sees
/// them (everything that changes the answer).
pub(crate) struct Request {
    pub operation: &'static str,
    pub params: serde_json::Value,
}

pub(crate) struct Session<'a> {
    options: &'a AwsOptions,
    config: SdkConfig,
    client: Client,
    cache: Cache,
    stats: RequestStats,
    credentials_checked: bool,
}

impl<'a> Session<'a> {
    pub async fn new(options: &'a AwsOptions) -> Session<'a> {
        let config = super::sdk_config(options).await;
        let client = Client::new(&config);
        Session {
            options,
            config,
            client,
            cache: Cache {
                dir: options.cache_dir.join("ce"),
                ttl_secs: options.cache_ttl.as_secs(),
            },
            stats: RequestStats::default(),
            credentials_checked: false,
        }
    }

    pub fn options(&self) -> &AwsOptions {
        self.options
    }

    pub fn stats(&self) -> RequestStats {
        self.stats
    }

    /// Every page of `request`, each from the cache when a fresh copy is there, otherwise from
    /// `fetch(client, page_token)`, which is paid for and so counted against the guard.
    pub async fn pages<P, F, Fut>(&mut self, request: &Request, mut fetch: F) -> Result<Vec<P>>
    where
        P: Page,
        F: FnMut(Client, Option<String>) -> Fut,
        Fut: Future<Output = Result<P>>,
    {
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let key = self.cache_key(request, token.as_deref());
            let page = match self.cache.get::<P>(&key) {
                Some(page) => {
                    self.stats.from_cache += 1;
                    tracing::debug!(operation = request.operation, "answered from the cache");
                    page
                }
                None => {
                    self.before_paid_request(request.operation).await?;
                    let page = fetch(self.client.clone(), token.clone()).await?;
                    self.cache.put(&key, request.operation, &page);
                    page
                }
            };
            let next = page
                .next_page_token()
                .filter(|t| !t.is_empty())
                .map(String::from);
            pages.push(page);
            match next {
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(Error::Aws(format!(
                        "{}: the service sent the same page token twice; stopped rather than \
                         loop",
                        request.operation
                    )))
                }
                Some(next) => token = Some(next),
                None => return Ok(pages),
            }
        }
    }

    /// The cost guard, and the credential check before the first paid request.
    async fn before_paid_request(&mut self, operation: &str) -> Result<()> {
        if self.stats.paid >= self.options.max_requests {
            return Err(Error::Aws(format!(
                "Cost Explorer cost guard: stopped at --max-requests {} before another \
                 {operation} request; {}; nothing was written. Each request costs ${:.2}: raise \
                 --max-requests, shorten the period or use a coarser --granularity (pages \
                 already paid for are cached)",
                self.options.max_requests, self.stats, PRICE_PER_REQUEST_USD
            )));
        }
        if !self.credentials_checked {
            super::check_credentials(&self.config, self.options).await?;
            self.credentials_checked = true;
        }
        self.stats.paid += 1;
        tracing::info!(operation, paid = self.stats.paid, "Cost Explorer request");
        Ok(())
    }

    /// SHA-256 of the request, its page, the profile and where the request goes (endpoint and
    /// region, as the SDK resolved them from the flags, the environment and the profile):
    /// another account's answers, another period or another endpoint's never match.
    fn cache_key(&self, request: &Request, page_token: Option<&str>) -> String {
        let identity = serde_json::json!({
            "operation": request.operation,
            "params": request.params,
            "page_token": page_token,
            "profile": self.options.profile_in_use(),
            "endpoint": self.config.endpoint_url(),
            "region": self.config.region().map(|r| r.as_ref()),
        });
        let digest = Sha256::digest(identity.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Cached answers, one JSON file per request page.
struct Cache {
    dir: PathBuf,
    ttl_secs: u64,
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    /// Seconds since the Unix epoch.
    fetched_at: u64,
    operation: String,
    page: T,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Cache {
    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// A fresh cached page; a missing, expired or unreadable entry is a miss.
    fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let path = self.path(key);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<Entry<T>>(&text) {
            Ok(entry) if now_secs().saturating_sub(entry.fetched_at) < self.ttl_secs => {
                Some(entry.page)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(file = %path.display(), "ignoring an unreadable cache entry: {e}");
                None
            }
        }
    }

    /// Stores a page; a cache that cannot be written costs a later rerun money, not this run
    /// its result, so it is a warning.
    fn put<T: Serialize>(&self, key: &str, operation: &str, page: &T) {
        let entry = Entry {
            fetched_at: now_secs(),
            operation: operation.to_string(),
            page,
        };
        let path = self.path(key);
        let written = output::write_file(&path, |temp| write_json(temp, &entry));
        if let Err(e) = written {
            tracing::warn!("Cost Explorer answer not cached: {e}");
        }
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string(value)
        .map_err(|e| Error::Aws(format!("{}: encoding JSON: {e}", path.display())))?;
    std::fs::write(path, text).err_context(|| format!("{}: writing", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct TestPage {
        n: u32,
    }

    #[test]
    fn cache_round_trip_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Cache {
            dir: dir.path().to_path_buf(),
            ttl_secs: 3600,
        };
        fresh.put("k", "Op", &TestPage { n: 7 });
        assert_eq!(fresh.get::<TestPage>("k"), Some(TestPage { n: 7 }));
        assert_eq!(fresh.get::<TestPage>("other"), None);
        let expired = Cache {
            dir: dir.path().to_path_buf(),
            ttl_secs: 0,
        };
        assert_eq!(expired.get::<TestPage>("k"), None);
    }

    #[test]
    fn stats_line_says_what_was_paid() {
        let stats = RequestStats {
            paid: 3,
            from_cache: 2,
        };
        assert_eq!(
            stats.to_string(),
            "Cost Explorer: 3 paid requests ($0.03), 2 answered from the cache"
        );
    }
}
