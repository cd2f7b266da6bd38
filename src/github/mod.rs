//! GitHub: the pull request a workflow runs for, a REST client, and the `review` command.

pub mod client;
pub mod command;
mod post;
pub mod review;
mod workspace;

use crate::error::{Error, Result};
use std::path::Path;

/// The pull request under review, from the workflow's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub owner: String,
    pub repo: String,
    pub number: u64,
    /// `pull_request.head.sha`: the commit review comments attach to. Not `GITHUB_SHA`, which
    /// on `pull_request` events is the test merge commit.
    pub head_sha: String,
}

impl PullRequest {
    /// Reads `GITHUB_EVENT_PATH` (a `pull_request` or `pull_request_target` event) and
    /// `GITHUB_REPOSITORY` through `env`.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<PullRequest> {
        let repository = env("GITHUB_REPOSITORY").filter(|s| !s.is_empty()).ok_or_else(|| {
            Error::new(
                "GITHUB_REPOSITORY is not set (owner/repo): run `review` in a GitHub Actions job",
            )
        })?;
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                Error::new(format!("GITHUB_REPOSITORY must be owner/repo, got {repository:?}"))
            })?;
        let event_path = env("GITHUB_EVENT_PATH").filter(|s| !s.is_empty()).ok_or_else(|| Error::new("GITHUB_EVENT_PATH is not set: run `review` on a pull_request or pull_request_target event"))?;
        let path = Path::new(&event_path);
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::in_file(
                path,
                format!(
                    "GITHUB_EVENT_PATH: cannot read the event: {}",
                    crate::parse::input::io_reason(&e)
                ),
            )
        })?;
        let (number, head_sha) = parse_event(&text)
            .map_err(|why| Error::in_file(path, format!("GITHUB_EVENT_PATH: {why}")))?;
        Ok(PullRequest { owner: owner.to_string(), repo: repo.to_string(), number, head_sha })
    }

    /// `/repos/{owner}/{repo}`, the prefix of every route we use.
    pub fn repo_route(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.repo)
    }
}

/// PR number and head sha of an event payload.
fn parse_event(text: &str) -> std::result::Result<(u64, String), String> {
    let event: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let pr = event
        .get("pull_request")
        .ok_or("not a pull_request or pull_request_target event (no pull_request)")?;
    let number = pr
        .get("number")
        .and_then(serde_json::Value::as_u64)
        .ok_or("pull_request.number is missing")?;
    let sha = pr
        .get("head")
        .and_then(|h| h.get("sha"))
        .and_then(|s| s.as_str())
        .ok_or("pull_request.head.sha is missing")?;
    if sha.len() < 7 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("pull_request.head.sha is not a commit sha: {sha:?}"));
    }
    Ok((number, sha.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_gives_number_and_head_sha() {
        let ev = r#"{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"sha":"0123456789abcdef0123456789abcdef01234567"}}}"#;
        assert_eq!(
            parse_event(ev).unwrap(),
            (7, "0123456789abcdef0123456789abcdef01234567".into())
        );
        assert!(parse_event(r#"{"ref":"refs/heads/main"}"#)
            .unwrap_err()
            .contains("no pull_request"));
        assert!(parse_event("{").unwrap_err().contains("not JSON"));
        assert!(parse_event(r#"{"pull_request":{"number":7,"head":{"sha":"main"}}}"#)
            .unwrap_err()
            .contains("not a commit sha"));
    }

    #[test]
    fn repository_must_be_owner_slash_repo() {
        let env = |k: &str| (k == "GITHUB_REPOSITORY").then(|| "justowner".to_string());
        assert!(PullRequest::from_env(&env).unwrap_err().message().contains("owner/repo"));
    }
}
