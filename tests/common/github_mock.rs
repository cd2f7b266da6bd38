//! A local server on 127.0.0.1 that answers as GitHub's REST API does for the routes
//! `helm-harden review` uses (statuses, `Link` pagination, error bodies), keeps the pull
//! request's comments as state across requests, and records every request; plus the throwaway
//! repository, event file and pull request files the tests serve it. Used by tests/review.rs
//! (the command) and tests/action.rs (the action's review step).
//!
//! The pull request is `octo/gw#7`, head [`HEAD_SHA`]; the weak values file sits at
//! [`VALUES_PATH`].

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The token [`FakeGitHub::start`] accepts (`Authorization: Bearer TOKEN`); any other is 401.
pub(crate) const TOKEN: &str = "ghs_PLANTEDt0kenNeverPrinted42";
pub(crate) const HEAD_SHA: &str = "5f1b2c3d4e5f60718293a4b5c6d7e8f901234567";
pub(crate) const MERGE_SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub(crate) const VALUES_PATH: &str = "deploy/values.yaml";
/// `GITHUB_REPOSITORY` of the pull request the server knows.
pub(crate) const REPOSITORY: &str = "octo/gw";
/// Its number (in the event file [`Repo`] writes).
pub(crate) const PR_NUMBER: u64 = 7;

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// Path and query, as received.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("{} {}: body is not JSON ({e}): {}", self.method, self.target, self.body)
        })
    }
    pub(crate) fn route(&self) -> &str {
        self.target.split('?').next().unwrap()
    }
}

/// A fault to inject into the next matching request.
#[derive(Clone)]
pub(crate) struct Fault {
    pub method: &'static str,
    pub route_ends: &'static str,
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: &'static str,
    /// The write happens anyway before the error is returned (a 502 from a proxy after the
    /// backend did the work).
    pub applied: bool,
}

#[derive(Default)]
pub(crate) struct State {
    pub prefix: String,
    /// The only token accepted.
    pub token: String,
    pub port: u16,
    pub files: Vec<Value>,
    pub review_comments: Vec<Value>,
    pub issue_comments: Vec<Value>,
    pub next_id: u64,
    pub faults: Vec<Fault>,
    pub read_only: bool,
    /// Leave the values file's patch out of pages of more than one file, as GitHub does for
    /// files past a page's diff size limit.
    pub patch_limit: bool,
    pub requests: Vec<Request>,
}

pub(crate) struct FakeGitHub {
    pub state: Arc<Mutex<State>>,
    pub url: String,
}

impl FakeGitHub {
    /// Serves under `prefix` (`""` for api.github.com, `/api/v3` for GitHub Enterprise),
    /// accepting [`TOKEN`].
    pub(crate) fn start(prefix: &str, files: Vec<Value>) -> FakeGitHub {
        FakeGitHub::start_with_token(prefix, TOKEN, files)
    }

    /// As [`FakeGitHub::start`], accepting `token` instead.
    pub(crate) fn start_with_token(prefix: &str, token: &str, files: Vec<Value>) -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            prefix: prefix.into(),
            token: token.into(),
            port,
            files,
            next_id: 1000,
            ..Default::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        FakeGitHub { state, url: format!("http://127.0.0.1:{port}{prefix}") }
    }

    pub(crate) fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }
    pub(crate) fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
    pub(crate) fn fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push(f);
    }
    pub(crate) fn review_comments(&self) -> Vec<Value> {
        self.state.lock().unwrap().review_comments.clone()
    }
    pub(crate) fn issue_comments(&self) -> Vec<Value> {
        self.state.lock().unwrap().issue_comments.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) =
        (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let request = Request { method, target, headers, body: String::from_utf8(body).unwrap() };
    let (status, extra, body) = {
        let mut s = state.lock().unwrap();
        s.requests.push(request.clone());
        respond(&mut s, &request)
    };
    let reason = match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Status",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
}

fn error_body(message: &str) -> String {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest"}).to_string()
}

/// GitHub's behaviour for the routes `review` uses.
fn respond(s: &mut State, r: &Request) -> (u16, Vec<(String, String)>, String) {
    if r.header("authorization") != Some(&format!("Bearer {}", s.token)) {
        return (401, vec![], error_body("Bad credentials"));
    }
    let Some(route) = r.route().strip_prefix(s.prefix.as_str()).map(str::to_string) else {
        return (404, vec![], error_body("Not Found"));
    };
    let fault = s
        .faults
        .iter()
        .position(|f| f.method == r.method && route.ends_with(f.route_ends))
        .map(|i| s.faults.remove(i));
    if let Some(f) = &fault {
        if !f.applied {
            return (
                f.status,
                f.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                f.body.to_string(),
            );
        }
    }
    if s.read_only && r.method != "GET" {
        return (403, vec![], error_body("Resource not accessible by integration"));
    }
    let query: Vec<(String, String)> = r
        .target
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.into(), v.into()))
                .collect()
        })
        .unwrap_or_default();
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (status, headers, body) = match (r.method.as_str(), route.as_str()) {
        ("GET", "/repos/octo/gw/pulls/7/files") => {
            let per_page: usize = q("per_page").map_or(30, |v| v.parse().unwrap()).min(100);
            let page: usize = q("page").map_or(1, |v| v.parse().unwrap());
            let pages = s.files.len().div_ceil(per_page).max(1);
            let mut items: Vec<Value> =
                s.files.iter().skip((page - 1) * per_page).take(per_page).cloned().collect();
            if s.patch_limit && per_page > 1 {
                for f in items.iter_mut().filter(|f| f["filename"] == VALUES_PATH) {
                    f.as_object_mut().unwrap().remove("patch");
                    f["additions"] = json!(0);
                    f["changes"] = json!(0);
                }
            }
            let link = |p: usize| {
                format!("http://127.0.0.1:{}{}/repos/octo/gw/pulls/7/files?per_page={per_page}&page={p}", s.port, s.prefix)
            };
            let mut rels = Vec::new();
            if page < pages {
                rels.push(format!("<{}>; rel=\"next\"", link(page + 1)));
                rels.push(format!("<{}>; rel=\"last\"", link(pages)));
            }
            if page > 1 {
                rels.push(format!("<{}>; rel=\"prev\"", link(page - 1)));
                rels.push(format!("<{}>; rel=\"first\"", link(1)));
            }
            let headers =
                if rels.is_empty() { vec![] } else { vec![("Link".to_string(), rels.join(", "))] };
            (200, headers, Value::Array(items).to_string())
        }
        ("GET", "/repos/octo/gw/pulls/7/comments") => {
            (200, vec![], Value::Array(s.review_comments.clone()).to_string())
        }
        ("POST", "/repos/octo/gw/pulls/7/reviews") => {
            let body = r.json();
            s.next_id += 1;
            let review_id = s.next_id;
            for c in body["comments"].as_array().cloned().unwrap_or_default() {
                s.next_id += 1;
                let mut c = c.clone();
                c["id"] = json!(s.next_id);
                c["pull_request_review_id"] = json!(review_id);
                c["commit_id"] = body["commit_id"].clone();
                c["in_reply_to_id"] = Value::Null;
                s.review_comments.push(c);
            }
            (200, vec![], json!({"id": review_id, "state": "COMMENTED", "body": body["body"], "commit_id": body["commit_id"]}).to_string())
        }
        ("DELETE", route) if route.starts_with("/repos/octo/gw/pulls/comments/") => {
            let id: u64 = route.rsplit('/').next().unwrap().parse().unwrap();
            let before = s.review_comments.len();
            s.review_comments.retain(|c| c["id"] != json!(id));
            if s.review_comments.len() == before {
                (404, vec![], error_body("Not Found"))
            } else {
                (204, vec![], String::new())
            }
        }
        ("GET", "/repos/octo/gw/issues/7/comments") => {
            (200, vec![], Value::Array(s.issue_comments.clone()).to_string())
        }
        ("POST", "/repos/octo/gw/issues/7/comments") => {
            s.next_id += 1;
            let c = json!({"id": s.next_id, "body": r.json()["body"]});
            s.issue_comments.push(c.clone());
            (201, vec![], c.to_string())
        }
        ("PATCH", route) if route.starts_with("/repos/octo/gw/issues/comments/") => {
            let id: u64 = route.rsplit('/').next().unwrap().parse().unwrap();
            let body = r.json()["body"].clone();
            match s.issue_comments.iter_mut().find(|c| c["id"] == json!(id)) {
                Some(c) => {
                    c["body"] = body;
                    (200, vec![], c.to_string())
                }
                None => (404, vec![], error_body("Not Found")),
            }
        }
        _ => (404, vec![], error_body("Not Found")),
    };
    match fault {
        Some(f) => (
            f.status,
            f.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            f.body.to_string(),
        ),
        None => (status, headers, body),
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A throwaway repository with the weak values file at `deploy/values.yaml`.
pub(crate) struct Repo {
    pub dir: tempfile::TempDir,
    pub values: String,
}

impl Repo {
    pub(crate) fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let values = std::fs::read_to_string(root().join("fixtures/values/weak.yaml")).unwrap();
        std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
        std::fs::write(dir.path().join(VALUES_PATH), &values).unwrap();
        let git = std::process::Command::new("git")
            .arg("init")
            .arg("-q")
            .current_dir(dir.path())
            .status()
            .expect("git");
        assert!(git.success());
        let event = json!({"action": "synchronize", "number": 7, "pull_request": {"number": 7, "head": {"sha": HEAD_SHA, "ref": "weaken"}, "base": {"sha": MERGE_SHA}}});
        std::fs::write(dir.path().join("event.json"), event.to_string()).unwrap();
        Repo { dir, values }
    }

    /// The repository with `values` instead of the weak fixture.
    pub(crate) fn with_values(values: &str) -> Repo {
        let repo = Repo::new();
        std::fs::write(repo.path().join(VALUES_PATH), values).unwrap();
        Repo { values: values.to_string(), ..repo }
    }

    /// `repo` (its git history kept) with `values` written over its values file.
    pub(crate) fn with_values_in(repo: Repo, values: &str) -> Repo {
        std::fs::write(repo.path().join(VALUES_PATH), values).unwrap();
        Repo { values: values.to_string(), ..repo }
    }

    /// A hunk of context lines `first..=last`.
    pub(crate) fn hunk_patch(&self, first: usize, last: usize) -> String {
        let lines: Vec<String> = self
            .values
            .lines()
            .skip(first - 1)
            .take(last + 1 - first)
            .map(|l| format!(" {l}"))
            .collect();
        format!("@@ -{first},{n} +{first},{n} @@\n{}", lines.join("\n"), n = last + 1 - first)
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The values file as a new file in the PR: every line added, so every line commentable.
    pub(crate) fn added_patch(&self) -> String {
        let lines: Vec<&str> = self.values.lines().collect();
        format!(
            "@@ -0,0 +1,{} @@\n{}",
            lines.len(),
            lines.iter().map(|l| format!("+{l}")).collect::<Vec<_>>().join("\n")
        )
    }

    /// The values file changed in lines 1..=n only.
    pub(crate) fn partial_patch(&self, n: usize) -> String {
        let lines: Vec<&str> = self.values.lines().take(n).collect();
        format!(
            "@@ -1,{n} +1,{n} @@\n{}",
            lines.iter().map(|l| format!(" {l}")).collect::<Vec<_>>().join("\n")
        )
    }

    pub(crate) fn line_of(&self, text: &str) -> usize {
        1 + self
            .values
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not in values"))
    }
}

/// 150 files: the values file lands on the second page of 100.
pub(crate) fn pr_files(values_patch: &str) -> Vec<Value> {
    let mut files: Vec<Value> = (0..149).map(|i| json!({"sha": "0", "filename": format!("docs/page-{i:03}.md"), "status": "added", "additions": 1, "deletions": 0, "changes": 1, "patch": "@@ -0,0 +1 @@\n+hello"})).collect();
    files.push(json!({"sha": "1", "filename": VALUES_PATH, "status": "added", "additions": 20, "deletions": 0, "changes": 20, "patch": values_patch}));
    files
}

pub(crate) fn methods_and_routes(reqs: &[Request]) -> Vec<String> {
    reqs.iter().map(|r| format!("{} {}", r.method, r.target)).collect()
}

pub(crate) fn fingerprint(body: &str) -> String {
    let start = body.find("<!-- helm-harden:fp=").expect("fingerprint marker")
        + "<!-- helm-harden:fp=".len();
    body[start..start + 16].to_string()
}
