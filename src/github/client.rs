//! A small synchronous GitHub REST client on octocrab's raw requests: the headers GitHub's
//! docs ask for, `Link` pagination, retries of 5xx and secondary rate limits with backoff,
//! and errors that never carry the token.

use crate::error::{Error, Result};
use http::header::{HeaderName, ACCEPT};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// GitHub's cap on `per_page`.
const PER_PAGE: usize = 100;
/// Retries after the first attempt.
const MAX_RETRIES: u32 = 4;
/// The list-files endpoint returns at most 3000 files (30 pages of 100).
pub const MAX_PAGES: usize = 30;

/// A response: status, the headers we use, and the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    link_next: Option<String>,
    retry_after: Option<u64>,
    rate_limit_remaining: Option<u64>,
}

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// 403 "Resource not accessible by integration": the token may read but not write (a
    /// fork's pull request).
    ReadOnly,
    /// Anything else, one line, token-free.
    Other(Error),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        match e {
            ApiError::ReadOnly => Error::new("GitHub: the token cannot write to this pull request (Resource not accessible by integration)"),
            ApiError::Other(e) => e,
        }
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

pub struct Client {
    octocrab: Octocrab,
    runtime: tokio::runtime::Runtime,
    token: String,
    /// Backoff unit: 5xx waits `base × 2^attempt`, a secondary rate limit without
    /// `Retry-After` waits `60 × base` (GitHub: "wait at least one minute").
    retry_base: Duration,
    verbose: bool,
}

impl Client {
    /// `api_url` is `https://api.github.com` or a GitHub Enterprise `https://HOST/api/v3`:
    /// octocrab keeps the base's path and prefixes it to every route.
    pub fn new(
        api_url: &str,
        token: String,
        retry_base: Duration,
        verbose: bool,
    ) -> Result<Client> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(format!("cannot start the HTTP runtime: {e}")))?;
        let base = api_url.trim_end_matches('/');
        let octocrab = {
            // hyper's client needs a runtime in scope while it is built.
            let _guard = runtime.enter();
            Octocrab::builder()
                .base_uri(base)
                .map_err(|_| Error::new(format!("GITHUB_API_URL is not a URL: {base}")))?
                .personal_token(token.clone())
                .add_header(ACCEPT, "application/vnd.github+json".into())
                .add_header(HeaderName::from_static("x-github-api-version"), "2022-11-28".into())
                .set_connect_timeout(Some(Duration::from_secs(30)))
                .set_read_timeout(Some(Duration::from_secs(60)))
                .build()
                .map_err(|e| {
                    Error::new(format!(
                        "cannot build the GitHub client: {}",
                        sanitise(&e.to_string(), &token)
                    ))
                })?
        };
        Ok(Client { octocrab, runtime, token, retry_base, verbose })
    }

    /// Removes the token from text that may echo request details.
    pub fn scrub(&self, text: &str) -> String {
        sanitise(text, &self.token)
    }

    fn log(&self, text: &str) {
        if self.verbose {
            eprintln!("github: {}", self.scrub(text));
        }
    }

    /// One attempt. `route` is a path (and query) under the API base.
    fn send_once(
        &self,
        method: &str,
        route: &str,
        body: Option<&serde_json::Value>,
    ) -> std::result::Result<Reply, String> {
        let result = self.runtime.block_on(async {
            let response = match method {
                "GET" => self.octocrab._get(route).await,
                "POST" => self.octocrab._post(route, body).await,
                "PATCH" => self.octocrab._patch(route, body).await,
                "DELETE" => self.octocrab._delete(route, body).await,
                _ => unreachable!("method {method}"),
            }?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
            };
            let link_next = header("link").and_then(|l| next_link(&l));
            let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
            let rate_limit_remaining =
                header("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok());
            let body = self.octocrab.body_to_string(response).await?;
            Ok::<_, octocrab::Error>(Reply {
                status,
                body,
                link_next,
                retry_after,
                rate_limit_remaining,
            })
        });
        result.map_err(|e| self.scrub(&one_line_error(&e)))
    }

    /// Sends with retries of 5xx and secondary rate limits. `idempotent` requests are simply
    /// sent again; for the others `look` is asked first whether the failed attempt went through
    /// after all, and when it did its answer is the result: a write is never duplicated.
    pub fn send(
        &self,
        method: &str,
        route: &str,
        body: Option<&serde_json::Value>,
        look: &mut dyn FnMut(&Client) -> ApiResult<Option<Reply>>,
    ) -> ApiResult<Reply> {
        let idempotent = method != "POST";
        let mut attempt = 0;
        loop {
            let backoff = self.retry_base * 2u32.pow(attempt);
            let (wait, why) = match self.send_once(method, route, body) {
                Ok(reply) => {
                    self.log(&format!("{method} {route} -> {}", reply.status));
                    let wait = match classify(&reply) {
                        Class::Done => return Ok(reply),
                        Class::ReadOnly => return Err(ApiError::ReadOnly),
                        Class::Fatal => {
                            return Err(ApiError::Other(Error::new(format!(
                                "GitHub: {method} {route}: {}",
                                self.scrub(&describe(&reply))
                            ))))
                        }
                        // GitHub: wait `Retry-After` seconds, or at least a minute without it.
                        Class::RateLimited => {
                            reply.retry_after.map_or(self.retry_base * 60, Duration::from_secs)
                        }
                        Class::ServerError => backoff,
                    };
                    (wait, describe(&reply))
                }
                Err(e) => {
                    self.log(&format!("{method} {route} failed: {e}"));
                    (backoff, e)
                }
            };
            if attempt >= MAX_RETRIES {
                return Err(ApiError::Other(Error::new(format!(
                    "GitHub: {method} {route}: {} (gave up after {} attempts)",
                    self.scrub(&why),
                    attempt + 1
                ))));
            }
            std::thread::sleep(wait.min(Duration::from_secs(120)));
            attempt += 1;
            if !idempotent {
                // A POST that timed out or got a 5xx may have been applied: look before re-posting.
                if let Some(found) = look(self)? {
                    self.log(&format!(
                        "{method} {route}: the earlier attempt went through; not re-posting"
                    ));
                    return Ok(found);
                }
            }
        }
    }

    pub fn get_json<T: DeserializeOwned>(&self, route: &str) -> ApiResult<T> {
        let reply = self.send("GET", route, None, &mut |_| Ok(None))?;
        parse_json(&reply, route)
    }

    /// Every page of a list endpoint, following `Link: rel="next"` (at most `max_pages`).
    pub fn get_all<T: DeserializeOwned>(&self, route: &str, max_pages: usize) -> ApiResult<Vec<T>> {
        let sep = if route.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{route}{sep}per_page={PER_PAGE}"));
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(page) = next.take() {
            let reply = self.send("GET", &page, None, &mut |_| Ok(None))?;
            let mut batch: Vec<T> = parse_json(&reply, &page)?;
            items.append(&mut batch);
            pages += 1;
            if pages >= max_pages {
                break;
            }
            next = reply.link_next.as_deref().map(route_of);
        }
        Ok(items)
    }

    pub fn write<B: Serialize>(
        &self,
        method: &str,
        route: &str,
        body: &B,
        look: &mut dyn FnMut(&Client) -> ApiResult<Option<Reply>>,
    ) -> ApiResult<Reply> {
        let value = serde_json::to_value(body)
            .map_err(|e| ApiError::Other(Error::new(format!("cannot encode a request: {e}"))))?;
        self.send(method, route, Some(&value), look)
    }

    pub fn delete(&self, route: &str) -> ApiResult<()> {
        match self.send("DELETE", route, None, &mut |_| Ok(None)) {
            Ok(_) => Ok(()),
            // Gone already (a retried DELETE that had gone through): what we wanted.
            Err(ApiError::Other(e)) if e.message().contains(": 404 ") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A reply made from a `look` that found the write: what the caller would have received.
pub fn found(body: String) -> Reply {
    Reply { status: 200, body, link_next: None, retry_after: None, rate_limit_remaining: None }
}

pub fn parse_json<T: DeserializeOwned>(reply: &Reply, route: &str) -> ApiResult<T> {
    serde_json::from_str(&reply.body).map_err(|e| {
        ApiError::Other(Error::new(format!("GitHub: {route}: unexpected response: {e}")))
    })
}

enum Class {
    Done,
    ReadOnly,
    RateLimited,
    ServerError,
    Fatal,
}

fn classify(reply: &Reply) -> Class {
    let message = error_message(&reply.body).to_ascii_lowercase();
    match reply.status {
        200..=299 => Class::Done,
        403 if message.contains("resource not accessible by integration") => Class::ReadOnly,
        429 => Class::RateLimited,
        403 if reply.retry_after.is_some()
            || message.contains("rate limit")
            || reply.rate_limit_remaining == Some(0) =>
        {
            Class::RateLimited
        }
        500..=599 => Class::ServerError,
        _ => Class::Fatal,
    }
}

/// GitHub's error bodies are `{"message": ..., "documentation_url": ...}`.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn describe(reply: &Reply) -> String {
    let message = error_message(&reply.body);
    let errors = serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("errors").cloned())
        .map(|e| format!(" {e}"))
        .unwrap_or_default();
    let text = if message.is_empty() { "no message".to_string() } else { message };
    let mut out = format!("{} {text}{errors}", reply.status);
    if out.len() > 300 {
        let cut = (0..=300).rev().find(|&i| out.is_char_boundary(i)).unwrap_or(0);
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// An absolute URL from a `Link` header as a path and query: octocrab sends the token only
/// to its base's host, and a relative route always goes there.
fn route_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or_else(|| "/".into(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

fn one_line_error(e: &octocrab::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `text` with every occurrence of `token` (and of its `Bearer` header form) masked.
pub fn sanitise(text: &str, token: &str) -> String {
    if token.len() < 4 {
        return text.to_string();
    }
    text.replace(token, "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_page() {
        let h = r#"<https://ghe.example/api/v3/repositories/1/pulls/2/files?per_page=100&page=2>; rel="next", <https://ghe.example/api/v3/repositories/1/pulls/2/files?per_page=100&page=3>; rel="last""#;
        let next = next_link(h).unwrap();
        assert_eq!(route_of(&next), "/api/v3/repositories/1/pulls/2/files?per_page=100&page=2");
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="prev""#), None);
    }

    #[test]
    fn tokens_are_masked() {
        assert_eq!(
            sanitise("Authorization: Bearer ghs_secret123 failed", "ghs_secret123"),
            "Authorization: Bearer *** failed"
        );
    }

    fn reply(status: u16, body: &str, retry_after: Option<u64>) -> Reply {
        Reply {
            status,
            body: body.into(),
            link_next: None,
            retry_after,
            rate_limit_remaining: None,
        }
    }

    #[test]
    fn classification_follows_githubs_rate_limit_docs() {
        assert!(matches!(
            classify(&reply(403, r#"{"message":"Resource not accessible by integration"}"#, None)),
            Class::ReadOnly
        ));
        assert!(matches!(
            classify(&reply(
                403,
                r#"{"message":"You have exceeded a secondary rate limit"}"#,
                None
            )),
            Class::RateLimited
        ));
        assert!(matches!(classify(&reply(403, r#"{"message":"x"}"#, Some(3))), Class::RateLimited));
        assert!(matches!(
            classify(&reply(403, r#"{"message":"Must have admin rights"}"#, None)),
            Class::Fatal
        ));
        assert!(matches!(classify(&reply(429, "", None)), Class::RateLimited));
        assert!(matches!(classify(&reply(502, "", None)), Class::ServerError));
        assert!(matches!(
            classify(&reply(422, r#"{"message":"Validation Failed"}"#, None)),
            Class::Fatal
        ));
    }
}
