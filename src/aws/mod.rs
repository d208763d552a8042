//! What every AWS source shares: the SDK configuration from the standard chain (environment,
//! profiles, SSO, instance roles) with `--profile`, `--region` and `--endpoint-url` on top, the
//! SDK's retries with backoff for throttling and 5xx answers, one clear message for missing or
//! expired credentials, and the tokio runtime, which exists only while AWS calls run.
//!
//! Credentials are only ever handed to the SDK: no message, log line or cache file holds them.

pub mod ce;
pub mod recommendations;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_costexplorer::config::ProvideCredentials;
use aws_sdk_costexplorer::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::{ErrContext, Error, Result};

/// Paid Cost Explorer requests one run may make unless `--max-requests` says otherwise.
pub const DEFAULT_MAX_REQUESTS: u32 = 50;
/// How long a cached Cost Explorer answer is reused (AWS refreshes its figures a few times a day).
pub const DEFAULT_CACHE_HOURS: u64 = 24;
/// The region used when neither a flag, the environment nor the profile names one.
const FALLBACK_REGION: &str = "us-east-1";

/// How to reach AWS, and what a run may spend there.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// A named profile of `~/.aws/config`; the SDK's own chain (`AWS_PROFILE`, then `default`)
    /// when none.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Another endpoint for every AWS service (an emulator, an S3-compatible store, a VPC
    /// endpoint). S3 is then addressed path-style (`endpoint/bucket/key`).
    pub endpoint_url: Option<String>,
    /// The cost guard: paid Cost Explorer requests allowed in this run.
    pub max_requests: u32,
    /// Cost Explorer answers and S3 downloads are kept here.
    pub cache_dir: PathBuf,
    /// Cached Cost Explorer answers older than this are fetched again.
    pub cache_ttl: Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            max_requests: DEFAULT_MAX_REQUESTS,
            cache_dir: default_cache_dir(),
            cache_ttl: Duration::from_secs(DEFAULT_CACHE_HOURS * 3600),
        }
    }
}

/// `$XDG_CACHE_HOME/costlens`, else `~/.cache/costlens`, else `.costlens-cache` here.
pub fn default_cache_dir() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(xdg) = non_empty("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("costlens")
    } else if let Some(home) = non_empty("HOME") {
        PathBuf::from(home).join(".cache").join("costlens")
    } else {
        PathBuf::from(".costlens-cache")
    }
}

impl AwsOptions {
    /// The profile in use, for messages: the flag, else `AWS_PROFILE`.
    fn profile_in_use(&self) -> Option<String> {
        self.profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
    }
}

/// Runs `future` on a runtime made for it: AWS code paths only, so the other commands never
/// start one. Two workers are enough to overlap downloads on a 2-core machine.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .err_context(|| "starting the runtime for AWS calls".into())?;
    Ok(runtime.block_on(future))
}

/// The SDK configuration from the standard chain, with the flags on top. Retries follow the
/// chain too (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, the profile's `max_attempts`), by default
/// the SDK's standard mode: 3 attempts with exponential backoff and jitter on throttling,
/// 5xx and transient network errors.
pub(crate) async fn sdk_config(options: &AwsOptions) -> SdkConfig {
    let region = RegionProviderChain::first_try(options.region.clone().map(Region::new))
        .or_default_provider()
        .or_else(Region::from_static(FALLBACK_REGION));
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    tracing::debug!(
        region = ?config.region(),
        endpoint = ?config.endpoint_url(),
        retry = ?config.retry_config(),
        "AWS configuration"
    );
    config
}

/// Resolves the credentials once, so that a missing or expired one gives one clear message
/// before any request, instead of an SDK error chain; the resolved values are registered with
/// [`crate::logging`] so that no log line can print them.
pub(crate) async fn check_credentials(config: &SdkConfig, options: &AwsOptions) -> Result<()> {
    let Some(provider) = config.credentials_provider() else {
        return Err(credentials_error(
            options,
            "no credential provider is configured",
        ));
    };
    match provider.provide_credentials().await {
        Ok(credentials) => {
            crate::logging::register_secret(credentials.access_key_id());
            crate::logging::register_secret(credentials.secret_access_key());
            if let Some(token) = credentials.session_token() {
                crate::logging::register_secret(token);
            }
            Ok(())
        }
        Err(e) => Err(credentials_error(options, credential_reason(&e))),
    }
}

/// What went wrong with the credentials, in words of our own: the SDK's messages are never
/// copied, since they can hold a secret (a `credential_process` command's stderr, a token
/// fragment). They are only looked at to tell the kinds of failure apart.
fn credential_reason(err: &CredentialsError) -> &'static str {
    let mut chain = String::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        chain.push_str(&e.to_string());
        current = e.source();
    }
    if chain.contains("was not defined") {
        "the profile is not defined in the AWS config file"
    } else if chain.contains("external process") {
        "its credential_process command failed; run that command by hand to see why"
    } else if chain.to_ascii_lowercase().contains("sso") {
        "the SSO session is missing or expired"
    } else {
        match err {
            CredentialsError::CredentialsNotLoaded(_) => "none found",
            CredentialsError::ProviderTimedOut(_) => "the credential provider timed out",
            CredentialsError::InvalidConfiguration(_) => "the profile's configuration is invalid",
            _ => "the credential provider failed",
        }
    }
}

/// Missing or expired credentials: what is wrong, for which profile, and what to run.
pub(crate) fn credentials_error(options: &AwsOptions, reason: &str) -> Error {
    let reason = reason.trim();
    Error::Aws(match options.profile_in_use() {
        Some(p) => format!(
            "AWS credentials for profile '{p}' are missing or expired ({reason}): run \
             `aws sso login --profile {p}` if it is an SSO profile, or `aws configure --profile \
             {p}` to store access keys"
        ),
        None => format!(
            "no valid AWS credentials in the standard chain (environment, default profile, SSO, \
             instance role) ({reason}): run `aws configure` or `aws sso login`, or pick a \
             profile with --profile or AWS_PROFILE"
        ),
    })
}

/// The credential failure behind a failed request (credentials that expire mid-run are
/// resolved again inside the request), whose text must not be copied.
fn credentials_failure<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a CredentialsError> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<CredentialsError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Error codes AWS gives for credentials that are unknown, wrong or expired.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthFailure",
];
const ACCESS_DENIED_CODES: &[&str] = &["AccessDenied", "AccessDeniedException"];

/// A failed AWS request (after the SDK's retries) as one line naming the request: credential
/// problems get the credential message, the rest the service's own code and message.
pub(crate) fn request_error<E>(options: &AwsOptions, what: &str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(credentials) = credentials_failure(&err) {
        return credentials_error(options, credential_reason(credentials));
    }
    match &err {
        SdkError::ServiceError(service) => {
            let code = err.code().unwrap_or_default();
            let message = err.message().unwrap_or_default();
            let status = service.raw().status().as_u16();
            if CREDENTIAL_CODES.contains(&code) {
                credentials_error(options, &format!("{what}: {code}"))
            } else if ACCESS_DENIED_CODES.contains(&code) {
                Error::Aws(format!(
                    "{what}: access denied ({message}): the credentials in use lack the IAM \
                     permission for this call"
                ))
            } else if code.is_empty() {
                Error::Aws(format!(
                    "{what} failed with HTTP {status} after the SDK's retries"
                ))
            } else {
                Error::Aws(format!(
                    "{what} failed with HTTP {status} after the SDK's retries: {code}: {message}"
                ))
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Error::Aws(format!(
            "{what}: could not reach AWS after the SDK's retries ({})",
            DisplayErrorContext(&err)
        )),
        _ => Error::Aws(format!("{what}: {}", DisplayErrorContext(&err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_message_names_the_profile_and_the_command() {
        let options = AwsOptions {
            profile: Some("finance".into()),
            ..AwsOptions::default()
        };
        let message = credentials_error(&options, "token expired").to_string();
        assert!(message.contains("profile 'finance'"), "{message}");
        assert!(
            message.contains("aws sso login --profile finance"),
            "{message}"
        );
        assert!(
            message.contains("aws configure --profile finance"),
            "{message}"
        );
    }
}
